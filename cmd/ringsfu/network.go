package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/media/turnserver"
	"github.com/ringsfu/ringsfu/signaling"
)

// network is serve's connectivity wiring: the TLS certificate (and its
// reloader), the embedded TURN server, and the ICE servers each session is
// handed. Its one goroutine, the certificate watcher, exits on Close.
type network struct {
	cfg    Config
	certs  *certReloader      // nil without --tls-cert
	turn   *turnserver.Server // nil without --turn-port/--turn-tls-port
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startNetwork loads the certificate, starts its watcher and the TURN
// server, and registers the TURN counters with reg.
func startNetwork(cfg Config, log zerolog.Logger, lf media.LoggerFactory, reg prometheus.Registerer) (*network, error) {
	n := &network{cfg: cfg}
	nc := cfg.Network
	if nc.TLSCert != "" {
		certs, err := newCertReloader(nc.TLSCert, nc.TLSKey, log.With().Str("component", "tls").Logger())
		if err != nil {
			return nil, err
		}
		n.certs = certs
		ctx, cancel := context.WithCancel(context.Background())
		n.cancel = cancel
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			certs.watch(ctx, nc.TLSWatchInterval)
		}()
	}
	if nc.TURNPort != 0 || nc.TURNTLSPort != 0 {
		relayIP := net.ParseIP(cfg.RTCIP).To4()
		if relayIP == nil {
			n.Close()
			return nil, fmt.Errorf("turn: --rtc-ip %q is not IPv4", cfg.RTCIP)
		}
		tc := turnserver.Config{
			RelayIP:               relayIP,
			Port:                  nc.TURNPort,
			TLSPort:               nc.TURNTLSPort,
			Secret:                nc.TURNSecret,
			Peers:                 turnPeers(cfg),
			MaxAllocationsPerUser: nc.TURNMaxAllocations,
			BytesPerSecond:        nc.TURNMaxBitrate / 8,
			Logger:                log.With().Str("component", "turn").Logger(),
			LoggerFactory:         lf,
		}
		if nc.TURNMaxBitrate == 0 {
			tc.BytesPerSecond = -1
		}
		if !isLocalIP(relayIP) {
			// Behind a 1:1 NAT: bind everywhere, announce --rtc-ip, and
			// reach the SFU's sockets on this host's own address.
			tc.ListenIP = net.IPv4zero
			tc.MediaIP = firstLocalIPv4()
		}
		if n.certs != nil {
			tc.TLSConfig = &tls.Config{GetCertificate: n.certs.getCertificate, MinVersion: tls.VersionTLS12}
		}
		srv, err := turnserver.New(tc)
		if err != nil {
			n.Close()
			return nil, err
		}
		n.turn = srv
		reg.MustRegister(newTURNCollector(srv.Stats()))
		if tc.Peers.AnyPort {
			log.Warn().Msg("turn: without --udp-port or --udp-port-range the relay may reach any port >= 1024 on --rtc-ip; set one of them")
		}
	}
	return n, nil
}

// turnPeers are the SFU's media ports, the relay's only destinations.
func turnPeers(cfg Config) turnserver.Peers {
	p := turnserver.Peers{UDPPort: cfg.UDPPort, UDPPortMin: int(cfg.UDPPortMin), UDPPortMax: int(cfg.UDPPortMax)}
	p.AnyPort = p.UDPPort == 0 && p.UDPPortMin == 0
	return p
}

// listener wraps ln in TLS when a certificate is configured.
func (n *network) listener(ln net.Listener) net.Listener {
	if n.certs == nil {
		return ln
	}
	return tls.NewListener(ln, n.certs.tlsConfig())
}

// scheme is the web client's URL scheme.
func (n *network) scheme() string {
	if n.certs != nil {
		return "https"
	}
	return "http"
}

// iceServersFor returns the hello result's ICE servers for a session: the
// configured STUN servers; the external TURN servers, with the static
// username and credential if set, else with an ephemeral credential when a
// TURN secret was given; and the embedded TURN server's URLs with an
// ephemeral credential. The credential lives as long as the session's
// token, capped at --turn-credential-ttl. It returns nil when no credential
// is per session, and serve then hands every session the static list.
func (n *network) iceServersFor() func(userID string, tokenExpires time.Time) []signaling.ICEServer {
	cfg, nc := n.cfg, n.cfg.Network
	externalEphemeral := len(cfg.TURN) > 0 && cfg.TURNUser == "" && nc.TURNSecretGiven
	if n.turn == nil && !externalEphemeral {
		return nil
	}
	var own []string
	if nc.TURNPort != 0 {
		hp := net.JoinHostPort(cfg.RTCIP, strconv.Itoa(nc.TURNPort))
		own = append(own, "turn:"+hp+"?transport=udp", "turn:"+hp+"?transport=tcp")
	}
	if nc.TURNTLSPort != 0 {
		own = append(own, "turns:"+net.JoinHostPort(nc.TURNTLSHost, strconv.Itoa(nc.TURNTLSPort))+"?transport=tcp")
	}
	return func(userID string, tokenExpires time.Time) []signaling.ICEServer {
		now := time.Now()
		user, cred := turnserver.Credentials(nc.TURNSecret, userID,
			now.Add(turnserver.CredentialLifetime(now, tokenExpires, nc.TURNCredentialTTL)))
		out := []signaling.ICEServer{}
		if len(cfg.STUN) > 0 {
			out = append(out, signaling.ICEServer{URLs: cfg.STUN})
		}
		switch {
		case externalEphemeral:
			out = append(out, signaling.ICEServer{URLs: cfg.TURN, Username: user, Credential: cred})
		case len(cfg.TURN) > 0:
			out = append(out, signaling.ICEServer{URLs: cfg.TURN, Username: cfg.TURNUser, Credential: cfg.TURNCredential})
		}
		if len(own) > 0 {
			out = append(out, signaling.ICEServer{URLs: own, Username: user, Credential: cred})
		}
		return out
	}
}

// Close stops the TURN server and the certificate watcher. It is safe on a
// partly started network.
func (n *network) Close() {
	if n.turn != nil {
		_ = n.turn.Close()
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
}

// isLocalIP reports whether ip is loopback or an address of this host.
func isLocalIP(ip net.IP) bool {
	if ip.IsLoopback() {
		return true
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// firstLocalIPv4 returns the first non-loopback IPv4 address of this host,
// or nil.
func firstLocalIPv4() net.IP {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.To4()
		}
	}
	return nil
}
