package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling/client/loadgen"
)

// loadCommand runs the load generator against a running server (loopback
// only) and prints what it measured.
func loadCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	mode, args, err := splitLoadMode(args)
	if err != nil {
		return err
	}
	if mode == loadModeSignaling {
		return signalLoadCommand(args, getenv, stdout, stderr)
	}
	var cfg loadgen.Config
	var asJSON bool
	var logLevel string
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", "ws://127.0.0.1:8080/v1/signal", "signaling URL of the server under test (loopback only)")
	fs.StringVar(&cfg.AppID, "app-id", "", "app id (default: dev mode's)")
	fs.StringVar(&cfg.Secret, "app-secret", "", "app secret (default: dev mode's)")
	fs.IntVar(&cfg.Calls, "calls", 1, "number of calls")
	fs.IntVar(&cfg.Members, "members", 2, "members per call")
	fs.IntVar(&cfg.Publishers, "publishers", 1, "publishers per call (the first members)")
	fs.StringVar(&cfg.Video, "video", loadgen.VideoSimulcast, "simulcast, single or none")
	fs.BoolVar(&cfg.Audio, "audio", true, "publish an Opus track too")
	fs.StringVar(&cfg.Quality, "quality", "high", "subscribers' video quality")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measurement window once everyone has joined")
	fs.Float64Var(&cfg.Ramp, "ramp", 50, "joins per second (0: unpaced)")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "server process id, to read its CPU and RSS from /proc (else /metrics)")
	fs.StringVar(&cfg.MetricsURL, "metrics-url", "", "server /metrics URL (default: derived from --url)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write the load generator's CPU profile of the measurement window to this file")
	fs.StringVar(&logLevel, "log-level", "warn", "progress log level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err = applyEnv(fs, getenv); err != nil {
		return err
	}
	devCredentials(&cfg.AppID, &cfg.Secret)
	return runLoad(logLevel, asJSON, stdout, stderr, func(ctx context.Context, log zerolog.Logger) (loadReport, error) {
		cfg.Logger = log
		return loadgen.Run(ctx, cfg)
	})
}

// loadReport is what a load mode prints.
type loadReport interface {
	WriteJSON(w io.Writer) error
	WriteText(w io.Writer) error
}

// devCredentials fills in the dev server's app id and secret when no
// secret was given.
func devCredentials(appID, secret *string) {
	if *secret == "" {
		*secret = devSecret
		if *appID == "" {
			*appID = devAppID
		}
	}
}

// runLoad runs one load mode until it ends or the process is interrupted,
// and prints its report as JSON or text.
func runLoad(logLevel string, asJSON bool, stdout, stderr io.Writer, run func(context.Context, zerolog.Logger) (loadReport, error)) error {
	log, err := newLogger("auto", logLevel, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, log)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
