package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures a Store. Zero fields take the documented defaults.
type Config struct {
	// URL is the Redis URL: redis://[user:password@]host:port/db, or
	// rediss:// for TLS. Required.
	URL string
	// NodeID names this node. Default: "n_" and 12 random hex digits.
	NodeID string
	// Prefix starts every key. Default "ringsfu:". Tests give each test
	// its own prefix so that they can share one server.
	Prefix string
	// LeaseTTL is the lifetime of a call lease; the owner renews it every
	// LeaseTTL/4. Default 2 s.
	LeaseTTL time.Duration
	// NodeTTL is the lifetime of a node's heartbeat key; the node writes
	// it every NodeTTL/4. Default 3 s.
	NodeTTL time.Duration
	// StaleAfter is the age (by Redis time) after which a heartbeat is
	// not fresh. Default NodeTTL/2.
	StaleAfter time.Duration
	// GarbageTTL bounds keys that only need to outlive their writer for
	// collection (fence counters, snapshots, busy slots, presence).
	// Default 24 h.
	GarbageTTL time.Duration
	// OpTimeout bounds each Redis operation, so that an unreachable Redis
	// gives ErrUnavailable quickly instead of a hang. Default 1 s.
	OpTimeout time.Duration
	// InboxMax trims each node's inbox stream (approximately). Default
	// 10000.
	InboxMax int64
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.LeaseTTL, 2*time.Second)
	def(&c.NodeTTL, 3*time.Second)
	def(&c.StaleAfter, c.NodeTTL/2)
	def(&c.GarbageTTL, 24*time.Hour)
	def(&c.OpTimeout, time.Second)
	if c.Prefix == "" {
		c.Prefix = "ringsfu:"
	}
	if c.NodeID == "" {
		c.NodeID = NewNodeID()
	}
	if c.InboxMax <= 0 {
		c.InboxMax = 10000
	}
}

// NewNodeID returns a random node id.
func NewNodeID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("cluster: crypto/rand failed: %v", err))
	}
	return "n_" + hex.EncodeToString(b[:])
}

// Store is one node's handle on the cluster state in Redis. It is safe for
// concurrent use and starts no goroutine of its own (go-redis keeps its
// connection pool).
type Store struct {
	cfg      Config
	rdb      *redis.Client
	lastBeat atomic.Int64 // unix ns when the last successful heartbeat was sent
	trips    *roundTrips  // commands and round trips sent (roundtrips.go)
}

// Open connects to Redis (lazily: the first operation dials) and returns a
// Store for this node.
func Open(cfg Config) (*Store, error) {
	cfg.setDefaults()
	if cfg.URL == "" {
		return nil, errors.New("cluster: Config.URL is required")
	}
	if strings.ContainsAny(cfg.NodeID, "|/ ") {
		return nil, fmt.Errorf("cluster: node id %q must not contain '|', '/' or spaces", cfg.NodeID)
	}
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("cluster: redis url: %w", err)
	}
	opt.DialTimeout = cfg.OpTimeout
	opt.ReadTimeout = cfg.OpTimeout
	opt.WriteTimeout = cfg.OpTimeout
	opt.MaxRetries = 1
	opt.ContextTimeoutEnabled = true
	s := &Store{cfg: cfg, rdb: redis.NewClient(opt), trips: newRoundTrips()}
	s.rdb.AddHook(s.trips)
	return s, nil
}

// Close closes the connection pool. Operations after Close fail with
// room.ErrUnavailable.
func (s *Store) Close() error { return s.rdb.Close() }

// NodeID returns this node's id.
func (s *Store) NodeID() string { return s.cfg.NodeID }

// Config returns the effective configuration (defaults applied).
func (s *Store) Config() Config { return s.cfg }

// op returns a context bounded by OpTimeout.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.OpTimeout)
}

// Ping measures one Redis round trip.
func (s *Store) Ping(ctx context.Context) (time.Duration, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	start := time.Now()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return 0, wrap("ping", err)
	}
	return time.Since(start), nil
}

// key returns the full key of parts joined by ':' after the prefix.
func (s *Store) key(parts ...string) string {
	return s.cfg.Prefix + strings.Join(parts, ":")
}

// ms returns d in whole milliseconds, at least 1.
func ms(d time.Duration) int64 {
	if m := d.Milliseconds(); m > 0 {
		return m
	}
	return 1
}
