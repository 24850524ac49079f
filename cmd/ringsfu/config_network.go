package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"time"
)

// networkConfig is the connectivity part of Config: ICE-TCP, the embedded
// TURN server, TURN credentials for external servers, and TLS for the HTTP
// listener (README "Networking").
type networkConfig struct {
	TCPPort            int
	TURNPort           int
	TURNTLSPort        int
	TURNTLSHost        string
	TURNSecret         string
	TURNSecretGiven    bool // --turn-secret was set: external --turn URLs get ephemeral credentials
	TURNMaxAllocations int
	TURNMaxBitrate     int
	TURNCredentialTTL  time.Duration
	TLSCert            string
	TLSKey             string
	TLSWatchInterval   time.Duration
}

// registerNetworkFlags declares networkConfig's flags on fs.
func registerNetworkFlags(fs *flag.FlagSet, n *networkConfig) {
	fs.IntVar(&n.TCPPort, "tcp-port", 0, "ICE-TCP: passive TCP host candidates on --rtc-ip:PORT for clients whose UDP is blocked")
	fs.IntVar(&n.TURNPort, "turn-port", 0, "embedded TURN server on UDP and TCP PORT (relays on --rtc-ip, only to the SFU)")
	fs.IntVar(&n.TURNTLSPort, "turn-tls-port", 0, "embedded TURN server over TLS on PORT (needs --tls-cert and --tls-key)")
	fs.StringVar(&n.TURNTLSHost, "turn-tls-host", "", "host name in turns: URLs, matching the certificate (default: --rtc-ip)")
	fs.StringVar(&n.TURNSecret, "turn-secret", "",
		"TURN REST API shared secret for ephemeral credentials (default: derived from --app-secret); setting it also gives --turn URLs ephemeral credentials unless --turn-username is set")
	fs.IntVar(&n.TURNMaxAllocations, "turn-max-allocations", 50, "cap on one user's live TURN allocations")
	fs.IntVar(&n.TURNMaxBitrate, "turn-max-bitrate", 40_000_000, "cap on one TURN allocation's relayed bits per second, both directions (0: none)")
	fs.DurationVar(&n.TURNCredentialTTL, "turn-credential-ttl", 24*time.Hour,
		"longest life of a TURN credential (it also ends with the session's token)")
	fs.StringVar(&n.TLSCert, "tls-cert", "", "PEM certificate chain: serve HTTPS/WSS (and TURN over TLS); reloaded on SIGHUP or change")
	fs.StringVar(&n.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.DurationVar(&n.TLSWatchInterval, "tls-watch-interval", 5*time.Second, "how often the certificate files are checked for changes")
}

// finishNetwork validates the network flags against the rest of c and
// fills in defaults. fs tells which flags were set.
func finishNetwork(c *Config, fs *flag.FlagSet) error {
	n := &c.Network
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "turn-secret" {
			n.TURNSecretGiven = true
		}
	})
	if n.TURNSecret != "" {
		n.TURNSecretGiven = true
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"tcp-port", n.TCPPort}, {"turn-port", n.TURNPort}, {"turn-tls-port", n.TURNTLSPort}} {
		if p.v < 0 || p.v > 65535 {
			return fmt.Errorf("--%s %d: want 0 (off) or a port", p.name, p.v)
		}
	}
	if (n.TLSCert == "") != (n.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if n.TURNTLSPort != 0 && n.TLSCert == "" {
		return errors.New("--turn-tls-port needs --tls-cert and --tls-key")
	}
	if (n.TURNPort != 0 || n.TURNTLSPort != 0) && c.RTCIP == "" {
		return errors.New("--turn-port and --turn-tls-port need --rtc-ip (relay addresses are allocated on it)")
	}
	if n.TURNPort != 0 && n.TURNPort == n.TURNTLSPort {
		return errors.New("--turn-port and --turn-tls-port must differ")
	}
	if n.TURNMaxAllocations < 1 {
		return errors.New("--turn-max-allocations must be at least 1")
	}
	if n.TURNMaxBitrate < 0 {
		return errors.New("--turn-max-bitrate must not be negative")
	}
	if n.TURNCredentialTTL < time.Minute {
		return errors.New("--turn-credential-ttl must be at least 1m")
	}
	if n.TLSWatchInterval <= 0 {
		return errors.New("--tls-watch-interval must be positive")
	}
	if n.TURNTLSHost == "" {
		n.TURNTLSHost = c.RTCIP
	}
	if n.TURNSecret == "" {
		n.TURNSecret = deriveTURNSecret(c.AppSecret)
	}
	return nil
}

// deriveTURNSecret is the default TURN secret: an HMAC of the app secret,
// so that the app secret itself never reaches a TURN server's config.
func deriveTURNSecret(appSecret string) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte("ringsfu turn rest api secret"))
	return hex.EncodeToString(mac.Sum(nil))
}
