package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Dev-mode identity: used when no app secret is configured.
const (
	devAppID  = "dev"
	devSecret = "ringsfu-dev-secret-do-not-use-in-production"
)

// Config is everything serve needs, from flags and RINGSFU_* variables.
type Config struct {
	Listen         string
	AppID          string
	AppSecret      string
	Dev            bool
	RTCIP          string
	UDPPort        int
	UDPPortMin     uint16
	UDPPortMax     uint16
	STUN           []string
	TURN           []string
	TURNUser       string
	TURNCredential string
	Network        networkConfig // ICE-TCP, embedded TURN, TLS (config_network.go)
	Push           pushConfig    // push providers (config_push.go)
	AllowedOrigins []string
	ResumeGrace    time.Duration
	LogFormat      string
	LogLevel       string
	ShutdownGrace  time.Duration
	DrainDelay     time.Duration
	Webhooks       []string
	Pprof          bool
	// ParallelFanOutMin is sfu.PeerConfig.ParallelFanOutMin (0: its
	// default; negative: never split a fan-out).
	ParallelFanOutMin int

	MaxCallSize           int
	MaxOutstandingInvites int
	MaxPendingConns       int
	MaxPendingPerAddr     int
	MaxDevices            int
	RedisURL              string // cluster mode when set (cluster.go)
	NodeID                string

	DataDir          string        // call history's SQLite file lives here
	DatabaseURL      string        // postgres://… instead of SQLite
	HistoryRetention time.Duration // how long ended calls are kept
	NoHistory        bool          // --history=false
}

// listFlag is a repeatable, comma-separable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// envName returns the environment variable for a flag name.
func envName(flagName string) string {
	return "RINGSFU_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// environment variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", envName(f.Name), e)
			}
		}
	})
	return err
}

// parseServeFlags reads serve's configuration.
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	var portRange string
	var stun, turn, origins, hooks listFlag
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.AppID, "app-id", "", "application id that tokens must carry (default: dev mode's \"dev\")")
	fs.StringVar(&c.AppSecret, "app-secret", "", "HS256 secret tokens are signed with; empty runs dev mode")
	fs.StringVar(&c.RTCIP, "rtc-ip", "", "the only IP put in ICE candidates (e.g. the public IP; 127.0.0.1 for tests)")
	fs.IntVar(&c.UDPPort, "udp-port", 0, "one UDP port for every peer (ICE UDP mux)")
	fs.StringVar(&portRange, "udp-port-range", "", "UDP port range A-B for peers, instead of --udp-port")
	fs.Var(&stun, "stun", "STUN URL handed to clients (repeatable)")
	fs.Var(&turn, "turn", "TURN URL handed to clients (repeatable)")
	fs.StringVar(&c.TURNUser, "turn-username", "", "username for the TURN servers")
	fs.StringVar(&c.TURNCredential, "turn-credential", "", "credential for the TURN servers")
	registerNetworkFlags(fs, &c.Network)
	registerPushFlags(fs, &c.Push)
	fs.Var(&origins, "allowed-origins", "browser origins allowed to connect (default: any)")
	fs.DurationVar(&c.ResumeGrace, "resume-grace", 20*time.Second, "how long a dropped session may resume")
	fs.StringVar(&c.LogFormat, "log-format", "auto", "json, console, or auto (console on a terminal)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-timeout", 10*time.Second, "how long shutdown waits for connections")
	fs.DurationVar(&c.DrainDelay, "drain-delay", 3*time.Second,
		"on the first signal, how long /healthz says 503 and new WebSockets are refused while calls go on, before shutdown")
	fs.IntVar(&c.MaxCallSize, "max-call-size", 50, "cap on members plus waiting invitees of one call")
	fs.IntVar(&c.MaxOutstandingInvites, "max-outstanding-invites", 100, "cap on the waiting invitations one user has sent, across calls")
	fs.IntVar(&c.MaxPendingConns, "max-pending-conns", 1000, "cap on WebSocket connections that have not sent hello yet (more get HTTP 503)")
	fs.IntVar(&c.MaxPendingPerAddr, "max-pending-per-addr", 200, "cap on such connections from one source IP (more get HTTP 429)")
	fs.IntVar(&c.MaxDevices, "max-devices", 10, "cap on one user's sessions; one more ends the oldest with close 4010")
	fs.Var(&hooks, "webhook-url", "webhook receiver URL (repeatable)")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve Go profiles at /debug/pprof/ (keep the listen address private)")
	fs.IntVar(&c.ParallelFanOutMin, "parallel-fanout-min", 0, "subscribers per packet from which a layer splits its fan-out over helper goroutines (0: default 64, negative: never)")
	fs.StringVar(&c.RedisURL, "redis-url", "", "redis://HOST:PORT/DB (or rediss://, with a password) shared by every node: cluster mode")
	fs.StringVar(&c.NodeID, "node-id", "", "this node's id in the cluster (default: random, logged at start)")
	fs.StringVar(&c.DataDir, "data-dir", "./ringsfu-data", "directory for the call history's SQLite database")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "postgres://USER:PASS@HOST:PORT/DB for call history (default: SQLite under --data-dir)")
	fs.DurationVar(&c.HistoryRetention, "history-retention", 90*24*time.Hour, "how long ended calls stay in call history")
	history := fs.Bool("history", true, "record call history (false: no database, history requests get unavailable)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := applyEnv(fs, getenv); err != nil {
		return c, err
	}
	c.STUN, c.TURN, c.AllowedOrigins, c.Webhooks = stun, turn, origins, hooks
	c.NoHistory = !*history
	if c.HistoryRetention <= 0 {
		return c, errors.New("--history-retention must be positive")
	}
	if portRange != "" {
		lo, hi, err := parsePortRange(portRange)
		if err != nil {
			return c, err
		}
		c.UDPPortMin, c.UDPPortMax = lo, hi
	}
	if c.UDPPort != 0 && portRange != "" {
		return c, errors.New("--udp-port and --udp-port-range are exclusive")
	}
	if c.RTCIP != "" && net.ParseIP(c.RTCIP) == nil {
		return c, fmt.Errorf("--rtc-ip %q is not an IP address", c.RTCIP)
	}
	if c.AppSecret == "" {
		c.Dev = true
		c.AppSecret = devSecret
		if c.AppID == "" {
			c.AppID = devAppID
		}
		if err := requireLoopback(c.Listen); err != nil {
			return c, fmt.Errorf("dev mode (no --app-secret): %w", err)
		}
		if c.RTCIP == "" {
			c.RTCIP = "127.0.0.1" // dev mode keeps media on loopback too
		}
	}
	if c.AppID == "" {
		return c, errors.New("--app-id is required with --app-secret")
	}
	if err := finishNetwork(&c, fs); err != nil {
		return c, err
	}
	if err := finishPush(&c.Push); err != nil {
		return c, err
	}
	if c.DrainDelay < 0 {
		return c, errors.New("--drain-delay must not be negative")
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"max-call-size", c.MaxCallSize}, {"max-outstanding-invites", c.MaxOutstandingInvites},
		{"max-pending-conns", c.MaxPendingConns}, {"max-pending-per-addr", c.MaxPendingPerAddr}, {"max-devices", c.MaxDevices}} {
		if l.v < 1 {
			return c, fmt.Errorf("--%s must be at least 1", l.name)
		}
	}
	return c, nil
}

// parsePortRange parses "A-B".
func parsePortRange(s string) (uint16, uint16, error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.ParseUint(a, 10, 16)
	hi, err2 := strconv.ParseUint(b, 10, 16)
	if !ok || err1 != nil || err2 != nil || lo == 0 || hi < lo {
		return 0, 0, fmt.Errorf("--udp-port-range %q: want A-B with 0 < A <= B < 65536", s)
	}
	return uint16(lo), uint16(hi), nil
}

// requireLoopback refuses a listen address that is not loopback.
func requireLoopback(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", listen, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to listen on non-loopback address %q; set --app-secret for production", listen)
	}
	return nil
}
