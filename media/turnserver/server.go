package turnserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
	"github.com/rs/zerolog"
)

// Config configures a Server. Zero fields take the documented defaults.
type Config struct {
	// RelayIP is the address put in relay candidates and the only peer IP
	// permitted (the SFU's --rtc-ip). Required, IPv4.
	RelayIP net.IP
	// ListenIP is the address the listeners and relay sockets bind to.
	// Default RelayIP; an operator behind a 1:1 NAT sets 0.0.0.0.
	ListenIP net.IP
	// MediaIP is where this host reaches the SFU's media sockets, when
	// that is not RelayIP (behind a 1:1 NAT the public --rtc-ip may not
	// loop back): relayed datagrams to RelayIP go to MediaIP instead, and
	// datagrams from MediaIP are reported to the client as from RelayIP.
	// Default RelayIP.
	MediaIP net.IP
	// Port serves TURN over UDP and TCP; 0 serves neither.
	Port int
	// TLSPort serves TURN over TLS with TLSConfig; 0 does not.
	TLSPort int
	// TLSConfig carries the certificate for TLSPort (its GetCertificate
	// may reload it).
	TLSConfig *tls.Config
	// Secret is the shared secret of Credentials. Required.
	Secret string
	// Realm is the TURN realm. Default "ringsfu".
	Realm string
	// Peers are the SFU's media ports, the only relay destinations.
	Peers Peers
	// MaxAllocationsPerUser caps one user's live allocations. Default 50.
	MaxAllocationsPerUser int
	// BytesPerSecond caps one allocation's relayed bytes (both directions
	// together). Default 5 MB/s (40 Mbit/s); negative means no cap.
	BytesPerSecond int
	// AllocationLifetime is the longest an allocation lives without a
	// refresh. Default 10 minutes.
	AllocationLifetime time.Duration
	// Logger receives the server's logs and pion/turn's, through
	// LoggerFactory. The zero value discards.
	Logger zerolog.Logger
	// LoggerFactory bridges pion/turn's logs; default discards.
	LoggerFactory logging.LoggerFactory
	// Now is the clock credentials are checked against. Default time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultMaxAllocationsPerUser = 50
	DefaultBytesPerSecond        = 5_000_000
)

// Server is a running TURN server.
type Server struct {
	cfg   Config
	srv   *turn.Server
	stats *Stats
	addrs []net.Addr
	log   zerolog.Logger

	mu    sync.Mutex
	users map[string]int // userID → live allocations; guarded by mu

	closeOnce sync.Once
	closeErr  error
}

// New opens the listeners and starts serving.
func New(cfg Config) (*Server, error) {
	if cfg.RelayIP == nil || cfg.RelayIP.To4() == nil {
		return nil, fmt.Errorf("%w: relay IP %v is not IPv4", ErrConfig, cfg.RelayIP)
	}
	if cfg.Secret == "" {
		return nil, fmt.Errorf("%w: empty secret", ErrConfig)
	}
	if cfg.Port == 0 && cfg.TLSPort == 0 {
		return nil, fmt.Errorf("%w: no port", ErrConfig)
	}
	if cfg.TLSPort != 0 && cfg.TLSConfig == nil {
		return nil, fmt.Errorf("%w: TLS port without a certificate", ErrConfig)
	}
	if cfg.ListenIP == nil {
		cfg.ListenIP = cfg.RelayIP
	}
	if cfg.Realm == "" {
		cfg.Realm = "ringsfu"
	}
	if cfg.MaxAllocationsPerUser <= 0 {
		cfg.MaxAllocationsPerUser = DefaultMaxAllocationsPerUser
	}
	if cfg.BytesPerSecond == 0 {
		cfg.BytesPerSecond = DefaultBytesPerSecond
	}
	if cfg.AllocationLifetime <= 0 {
		cfg.AllocationLifetime = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LoggerFactory == nil {
		lf := logging.NewDefaultLoggerFactory()
		lf.DefaultLogLevel = logging.LogLevelDisabled
		cfg.LoggerFactory = lf
	}
	s := &Server{cfg: cfg, stats: &Stats{}, log: cfg.Logger, users: map[string]int{}}
	pol := &policy{ip: cfg.RelayIP.To4(), peers: cfg.Peers, own: newPortSet()}
	if cfg.MediaIP != nil && !cfg.MediaIP.Equal(cfg.RelayIP) {
		pol.mediaIP = cfg.MediaIP.To4()
	}
	gen := func() *relayGenerator {
		return &relayGenerator{
			inner:  &turn.RelayAddressGeneratorStatic{RelayAddress: pol.ip, Address: cfg.ListenIP.String()},
			policy: pol, stats: s.stats, bps: cfg.BytesPerSecond,
		}
	}
	permit := func(_ net.Addr, peer net.IP) bool {
		if pol.allowIP(peer) {
			return true
		}
		s.stats.PermissionRefusals.Add(1)
		return false
	}

	var closers []func() error
	fail := func(err error) (*Server, error) {
		for _, c := range closers {
			_ = c()
		}
		return nil, err
	}
	sc := turn.ServerConfig{
		Realm:              cfg.Realm,
		LoggerFactory:      cfg.LoggerFactory,
		AuthHandler:        s.authenticate,
		QuotaHandler:       s.quota,
		AllocationLifetime: cfg.AllocationLifetime,
		EventHandler: turn.EventHandler{
			OnAuth: func(src, _ net.Addr, _, username, _, _ string, ok bool) {
				if !ok {
					s.stats.AuthRefusals.Add(1)
					s.log.Debug().Str("username", username).Stringer("from", src).Msg("turn credential forged")
				}
			},
			OnAllocationCreated: func(_, _ net.Addr, _, userID, _ string, _ net.Addr, _ int) { s.allocated(userID, 1) },
			OnAllocationDeleted: func(_, _ net.Addr, _, userID, _ string) { s.allocated(userID, -1) },
		},
	}
	hostPort := func(port int) string { return net.JoinHostPort(cfg.ListenIP.String(), strconv.Itoa(port)) }
	if cfg.Port != 0 {
		pc, err := net.ListenPacket("udp4", hostPort(cfg.Port))
		if err != nil {
			return fail(fmt.Errorf("turnserver: listen udp: %w", err))
		}
		closers = append(closers, pc.Close)
		ln, err := net.Listen("tcp4", hostPort(cfg.Port))
		if err != nil {
			return fail(fmt.Errorf("turnserver: listen tcp: %w", err))
		}
		closers = append(closers, ln.Close)
		pol.own.add(pc.LocalAddr().(*net.UDPAddr).Port)
		s.addrs = append(s.addrs, pc.LocalAddr(), ln.Addr())
		sc.PacketConnConfigs = append(sc.PacketConnConfigs,
			turn.PacketConnConfig{PacketConn: pc, RelayAddressGenerator: gen(), PermissionHandler: permit})
		sc.ListenerConfigs = append(sc.ListenerConfigs,
			turn.ListenerConfig{Listener: ln, RelayAddressGenerator: gen(), PermissionHandler: permit})
	}
	if cfg.TLSPort != 0 {
		ln, err := net.Listen("tcp4", hostPort(cfg.TLSPort))
		if err != nil {
			return fail(fmt.Errorf("turnserver: listen tls: %w", err))
		}
		closers = append(closers, ln.Close)
		s.addrs = append(s.addrs, ln.Addr())
		sc.ListenerConfigs = append(sc.ListenerConfigs,
			turn.ListenerConfig{Listener: tls.NewListener(ln, cfg.TLSConfig), RelayAddressGenerator: gen(), PermissionHandler: permit})
	}
	srv, err := turn.NewServer(sc)
	if err != nil {
		return fail(fmt.Errorf("turnserver: %w", err))
	}
	s.srv = srv
	s.log.Info().Str("relay_ip", pol.ip.String()).Int("port", cfg.Port).Int("tls_port", cfg.TLSPort).
		Int("max_allocations_per_user", cfg.MaxAllocationsPerUser).Int("bytes_per_second", cfg.BytesPerSecond).
		Msg("turn server ready")
	return s, nil
}

// authenticate is the pion/turn AuthHandler for REST API credentials.
func (s *Server) authenticate(ra *turn.RequestAttributes) (string, []byte, bool) {
	expires, user, ok := parseUsername(ra.Username)
	if !ok || !s.cfg.Now().Before(expires) {
		s.stats.AuthRefusals.Add(1)
		s.log.Debug().Str("username", ra.Username).Stringer("from", ra.SrcAddr).Bool("expired", ok).
			Msg("turn credential refused")
		return "", nil, false
	}
	// A forged credential fails the MESSAGE-INTEGRITY check that pion/turn
	// makes with this key; OnAuth counts it.
	return user, turn.GenerateAuthKey(ra.Username, ra.Realm, password(s.cfg.Secret, ra.Username)), true
}

// quota is the pion/turn QuotaHandler: the per-user allocation cap. It
// receives the user id authenticate returned.
func (s *Server) quota(user, _ string, _ net.Addr) bool {
	s.mu.Lock()
	n := s.users[user]
	s.mu.Unlock()
	if n >= s.cfg.MaxAllocationsPerUser {
		s.stats.QuotaRefusals.Add(1)
		return false
	}
	return true
}

// allocated counts a user's allocations up or down.
func (s *Server) allocated(user string, d int) {
	if d > 0 {
		s.stats.Allocations.Add(1)
	} else {
		s.stats.AllocationsEnded.Add(1)
	}
	s.mu.Lock()
	if s.users[user] += d; s.users[user] <= 0 {
		delete(s.users, user)
	}
	s.mu.Unlock()
}

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return s.stats }

// Addrs returns the listening addresses: UDP and TCP for Port, then TCP for
// TLSPort, as configured.
func (s *Server) Addrs() []net.Addr { return s.addrs }

// Close stops the listeners and removes every allocation. It is
// idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("turnserver: close: %w", err)
		}
	})
	return s.closeErr
}
