package loadgen

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/rs/zerolog"
)

// Video modes.
const (
	VideoSimulcast = "simulcast"
	VideoSingle    = "single"
	VideoNone      = "none"
)

// Config describes one load run.
type Config struct {
	// URL is the server's signaling endpoint, ws://HOST:PORT/v1/signal. It
	// must be a loopback address.
	URL string
	// AppID and Secret sign the members' tokens.
	AppID, Secret string
	// Calls, Members and Publishers shape the load: Calls calls of Members
	// members each, the first Publishers of which publish.
	Calls, Members, Publishers int
	// Video is simulcast, single or none; Audio adds an Opus track.
	Video string
	Audio bool
	// Quality is what subscribers ask for on video tracks (default high).
	Quality string
	// Duration is the measurement window after everyone has joined.
	Duration time.Duration
	// Ramp is the join rate in members per second (0: as fast as possible).
	Ramp float64
	// ServerPID, when set, reads the server's CPU and RSS from /proc;
	// otherwise they come from MetricsURL (default: the URL's /metrics).
	ServerPID  int
	MetricsURL string
	// CPUProfile, when set, is a file the load generator's own CPU
	// profile of the measurement window is written to.
	CPUProfile string
	// Logger receives progress.
	Logger zerolog.Logger
}

// validate checks the config and fills defaults.
func (c *Config) validate() error {
	if c.Calls < 1 || c.Members < 2 || c.Publishers < 0 || c.Publishers > c.Members {
		return fmt.Errorf("loadgen: need calls >= 1, members >= 2, 0 <= publishers <= members")
	}
	switch c.Video {
	case "":
		c.Video = VideoSimulcast
	case VideoSimulcast, VideoSingle, VideoNone:
	default:
		return fmt.Errorf("loadgen: --video %q: want simulcast, single or none", c.Video)
	}
	if c.Quality == "" {
		c.Quality = "high"
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("loadgen: url: %w", err)
	}
	if err := requireLoopback(u.Hostname()); err != nil {
		return err
	}
	if c.MetricsURL == "" {
		scheme := "http"
		if u.Scheme == "wss" {
			scheme = "https"
		}
		c.MetricsURL = scheme + "://" + u.Host + "/metrics"
	}
	return nil
}

// requireLoopback refuses any target that is not a loopback address.
func requireLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadgen: refusing non-loopback target %q", host)
	}
	return nil
}
