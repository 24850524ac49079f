package loadgen

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Signaling flows (SignalConfig.Flows). Each is one Call Kit exchange
// played by a group of three users A, B and C, every request awaited and
// every event the flow implies waited for:
//
//   - accept: A invites B, B rings (incomingCall), B accepts, A gets
//     outgoingCallAccepted, A and B leave.
//   - cancel: A invites B, B rings, A cancels, B gets
//     incomingCallCanceled, A gets callEnded.
//   - decline: A invites B, B rings, B rejects, A gets
//     outgoingCallDeclined and callEnded.
//   - busy: A invites B, B rings, C invites B and is told busy
//     (outgoingCallRejectedCauseBusy, callEnded), A cancels.
//   - hello: C's connection closes and C signs in again (a new WebSocket
//     to the next URL, a fresh session).
const (
	FlowAccept  = "accept"
	FlowCancel  = "cancel"
	FlowDecline = "decline"
	FlowBusy    = "busy"
	FlowHello   = "hello"
)

// AllFlows returns every signaling flow, in the order "all" plays them.
func AllFlows() []string {
	return []string{FlowAccept, FlowCancel, FlowDecline, FlowBusy, FlowHello}
}

// SignalConfig describes one signaling load run (RunSignal).
type SignalConfig struct {
	// URLs are the signaling endpoints of one server or of several
	// cluster nodes; connections go to them in turn (round-robin per
	// connection, as a plain load balancer would). Loopback only.
	URLs []string
	// AppID and Secret sign the users' tokens.
	AppID, Secret string
	// Groups is the number of three-user groups playing flows
	// concurrently (default 128; 3 connections each).
	Groups int
	// Flows is the cycle each group plays, in order (default AllFlows());
	// repeating a name weighs it.
	Flows []string
	// Rate is the target number of flow cycles per second across all
	// groups; 0 plays them flat out.
	Rate float64
	// ConnRate caps the requests each connection sends per second
	// (default 40, under the server's default limit of 50/s; negative: no
	// cap). Flat-out throughput then needs enough Groups.
	ConnRate float64
	// Duration is the measurement window (default 10 s).
	Duration time.Duration
	// Timeout bounds each request and each awaited event (default 10 s).
	Timeout time.Duration
	// RedisURL, when set, is the cluster's Redis: its INFO (commandstats,
	// cpu) is read around an idle window and the load window, giving
	// Redis commands per operation and Redis CPU. Loopback only.
	RedisURL string
	// Idle is the idle window measured before the load when RedisURL is
	// set (default 2 s; negative: none).
	Idle time.Duration
	// ServerPIDs, when set, are the server processes whose CPU is read
	// from /proc; otherwise each URL's /metrics is read (best effort).
	ServerPIDs []int
	// CPUProfile, when set, receives the load generator's CPU profile of
	// the load window.
	CPUProfile string
	// UserPrefix prefixes the user ids (default: unique per run).
	UserPrefix string
	// Logger receives progress.
	Logger zerolog.Logger
}

// validate checks the config and fills defaults.
func (c *SignalConfig) validate() error {
	if len(c.URLs) == 0 {
		return fmt.Errorf("loadgen: signaling: no URL")
	}
	for _, raw := range c.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("loadgen: url %q: %w", raw, err)
		}
		if u.Scheme != "ws" && u.Scheme != "wss" {
			return fmt.Errorf("loadgen: url %q: want ws:// or wss://", raw)
		}
		if err := requireLoopback(u.Hostname()); err != nil {
			return err
		}
	}
	if c.Groups == 0 {
		c.Groups = 128
	}
	if c.Groups < 1 {
		return fmt.Errorf("loadgen: signaling: need groups >= 1")
	}
	if len(c.Flows) == 0 {
		c.Flows = AllFlows()
	}
	for _, f := range c.Flows {
		switch f {
		case FlowAccept, FlowCancel, FlowDecline, FlowBusy, FlowHello:
		default:
			return fmt.Errorf("loadgen: unknown flow %q (want %s)", f, strings.Join(AllFlows(), ", "))
		}
	}
	if c.Rate < 0 {
		return fmt.Errorf("loadgen: signaling: negative rate")
	}
	if c.ConnRate == 0 {
		c.ConnRate = 40
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Idle == 0 {
		c.Idle = 2 * time.Second
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil {
			return fmt.Errorf("loadgen: redis url: %w", err)
		}
		if err := requireLoopback(u.Hostname()); err != nil {
			return err
		}
	}
	if c.UserPrefix == "" {
		c.UserPrefix = fmt.Sprintf("sl%x", time.Now().UnixNano()&0xffffff)
	}
	return nil
}

// ParseFlows reads a comma-separated flow list; "all" is AllFlows().
func ParseFlows(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "":
		case "all":
			out = append(out, AllFlows()...)
		default:
			out = append(out, f)
		}
	}
	return out
}

// metricsURL derives a node's /metrics URL from its signaling URL.
func metricsURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	return scheme + "://" + u.Host + "/metrics"
}
