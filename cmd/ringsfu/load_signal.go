package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling/client/loadgen"
)

// Load modes: media (calls with real PeerConnections, the default) and
// signaling (Call Kit flows as fast as asked, no media).
const (
	loadModeMedia     = "media"
	loadModeSignaling = "signaling"
)

// splitLoadMode takes --mode (or -mode, with = or a separate value) out of
// args and returns it (default media) and the other arguments.
func splitLoadMode(args []string) (mode string, rest []string, err error) {
	mode = loadModeMedia
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "mode" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("load: --mode needs a value (media or signaling)")
			}
			i++
			val = args[i]
		}
		mode = val
	}
	switch mode {
	case loadModeMedia, loadModeSignaling:
		return mode, rest, nil
	}
	return "", nil, fmt.Errorf("load: --mode %q: want media or signaling", mode)
}

// pidList is a comma-separated list of process ids.
type pidList []int

func (l *pidList) String() string {
	s := make([]string, len(*l))
	for i, p := range *l {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

func (l *pidList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return fmt.Errorf("bad process id %q", p)
		}
		*l = append(*l, n)
	}
	return nil
}

// signalLoadCommand runs the signaling load generator (loadgen.RunSignal)
// against one server or the nodes of a cluster and prints what it
// measured.
func signalLoadCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg loadgen.SignalConfig
	var urls listFlag
	var pids pidList
	var flows, logLevel string
	var asJSON bool
	fs := flag.NewFlagSet("load --mode signaling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&urls, "urls", "signaling URLs of the nodes, comma-separated; connections go to them in turn (loopback only)")
	url := fs.String("url", "ws://127.0.0.1:8080/v1/signal", "signaling URL of a single server (when --urls is not given)")
	fs.StringVar(&cfg.AppID, "app-id", "", "app id (default: dev mode's)")
	fs.StringVar(&cfg.Secret, "app-secret", "", "app secret (default: dev mode's)")
	fs.IntVar(&cfg.Groups, "groups", 128, "concurrent groups of three users (3 connections each)")
	fs.Float64Var(&cfg.ConnRate, "conn-rate", 40, "cap on requests per second per connection, under the server's rate limit (negative: none)")
	fs.StringVar(&flows, "flows", "all", "flows each group plays in turn: accept, cancel, decline, busy, hello, or all")
	fs.Float64Var(&cfg.Rate, "rate", 0, "target flow cycles per second across all groups (0: flat out)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measurement window")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "bound on each request and awaited event")
	fs.StringVar(&cfg.RedisURL, "redis-url", "", "the cluster's Redis, to read its INFO (commands per operation, CPU); loopback only")
	fs.DurationVar(&cfg.Idle, "idle", 2*time.Second, "idle window measured on Redis before the load (with --redis-url)")
	fs.Var(&pids, "server-pids", "server process ids, comma-separated, to read their CPU from /proc (else each node's /metrics)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write the load generator's CPU profile of the window to this file")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.StringVar(&logLevel, "log-level", "warn", "progress log level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := applyEnv(fs, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("load: unexpected argument %q", fs.Arg(0))
	}
	cfg.URLs = urls
	if len(cfg.URLs) == 0 {
		cfg.URLs = []string{*url}
	}
	cfg.Flows = loadgen.ParseFlows(flows)
	cfg.ServerPIDs = pids
	devCredentials(&cfg.AppID, &cfg.Secret)
	return runLoad(logLevel, asJSON, stdout, stderr, func(ctx context.Context, log zerolog.Logger) (loadReport, error) {
		cfg.Logger = log
		return loadgen.RunSignal(ctx, cfg)
	})
}
