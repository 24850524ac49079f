package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// signalRun is one RunSignal: its config, what it records, and the
// round-robin over the URLs.
type signalRun struct {
	cfg    *SignalConfig
	rec    *recorder
	log    zerolog.Logger
	next   atomic.Uint64 // connections opened so far: the next URL's index
	tokens sync.Map      // user id → token
	start  time.Time     // of the load window, for pacing
	slots  atomic.Int64  // flow cycles handed out by pace
}

// dial opens a connection for user to the next URL in turn and signs in.
func (r *signalRun) dial(ctx context.Context, user string) (*client.Client, error) {
	return r.dialAt(ctx, user, r.next.Add(1)-1)
}

// dialAt opens connection number seq for user: to URL seq mod len(URLs).
// The groups' first connections are numbered 3g+u (group g, user u), so
// that the spread over the URLs does not depend on timing: with three
// URLs, or two, A and B of a group are always on different nodes (every
// call crosses nodes, the costly case).
func (r *signalRun) dialAt(ctx context.Context, user string, seq uint64) (*client.Client, error) {
	url := r.cfg.URLs[int(seq%uint64(len(r.cfg.URLs)))]
	tok, err := r.token(user)
	if err != nil {
		return nil, err
	}
	r.rec.dialed(url)
	return client.Dial(ctx, client.Config{URL: url, Token: tok, DeviceID: "sigload"})
}

// token returns user's token, minting it once.
func (r *signalRun) token(user string) (string, error) {
	if t, ok := r.tokens.Load(user); ok {
		return t.(string), nil
	}
	tok, err := signaling.Mint(signaling.MintOptions{AppID: r.cfg.AppID, Secret: r.cfg.Secret, UserID: user,
		TTL: r.cfg.Duration + time.Hour})
	if err != nil {
		return "", fmt.Errorf("loadgen: token: %w", err)
	}
	r.tokens.Store(user, tok)
	return tok, nil
}

// pace waits for the next flow cycle's turn at cfg.Rate cycles per second
// across all groups (at once when flat out, or when behind schedule). It
// returns false when stop closes first.
func (r *signalRun) pace(stop <-chan struct{}) bool {
	if r.cfg.Rate <= 0 {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	k := r.slots.Add(1) - 1
	at := r.start.Add(time.Duration(float64(k) / r.cfg.Rate * float64(time.Second)))
	wait := time.Until(at)
	if wait <= 0 {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// RunSignal connects cfg.Groups groups of three users (spread over the
// URLs in turn), optionally measures an idle window on Redis, then plays
// the flows for cfg.Duration and reports what it measured. Failed
// requests and events are counted by code, never fatal; RunSignal fails
// only when it cannot connect the groups or ctx ends.
func RunSignal(ctx context.Context, cfg SignalConfig) (*SignalReport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := &signalRun{cfg: &cfg, rec: newRecorder(), log: cfg.Logger}
	r.next.Store(uint64(3 * cfg.Groups)) // after the groups' own (dialAt)
	groups := make([]*group, cfg.Groups)
	defer func() {
		var wg sync.WaitGroup
		for _, g := range groups {
			if g != nil {
				wg.Add(1)
				go func(g *group) { defer wg.Done(); g.close() }(g)
			}
		}
		wg.Wait()
	}()
	setupStart := time.Now()
	// Connect a few groups at a time: a burst of hundreds of handshakes
	// would only measure the accept queue.
	sem := make(chan struct{}, 16)
	errs := make(chan error, cfg.Groups)
	var wg sync.WaitGroup
	for i := range groups {
		g := &group{run: r, index: i}
		for u := range g.users {
			g.users[u] = fmt.Sprintf("%s-%d-%c", cfg.UserPrefix, i, 'a'+u)
		}
		groups[i] = g
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := g.connect(ctx); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("loadgen: connecting the groups: %w", err)
	}
	setup := time.Since(setupStart)
	r.log.Info().Int("connections", 3*cfg.Groups).Dur("setup", setup).Msg("groups connected")
	// Connecting is not part of the load: start the counts afresh, but
	// for the connections per URL (setup and window).
	perURL := r.rec.perURL
	r.rec = newRecorder()
	r.rec.perURL = perURL

	idle, err := measureIdle(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	before, err := takeUsage(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	stopProfile, err := startCPUProfile(cfg.CPUProfile)
	if err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	r.start = time.Now()
	var play sync.WaitGroup
	for gi, g := range groups {
		play.Add(1)
		go func() {
			defer play.Done()
			for i := gi; r.pace(stop); i++ {
				g.play(cfg.Flows[i%len(cfg.Flows)])
			}
		}()
	}
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Duration):
	}
	close(stop)
	play.Wait() // flows in progress finish (each wait is bounded)
	stopProfile()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	after, err := takeUsage(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	rep := buildSignalReport(&cfg, r.rec, before, after, idle)
	rep.SetupSeconds = setup.Seconds()
	return rep, nil
}

// usageSnap is the CPU of the servers, of this process and of Redis at
// one moment.
type usageSnap struct {
	at      time.Time
	servers []usage // nil when not measured
	self    usage
	redis   *redisInfo
	// nodeCommands and nodeTrips sum the nodes' own counts of what they
	// sent to Redis (ringsfu_cluster_redis_*_total); -1: not exposed.
	nodeCommands, nodeTrips float64
}

// takeUsage reads every process's usage; the servers' are best effort
// when read from /metrics.
func takeUsage(ctx context.Context, cfg *SignalConfig) (usageSnap, error) {
	s := usageSnap{at: time.Now(), self: selfUsage()}
	if len(cfg.ServerPIDs) > 0 {
		for _, pid := range cfg.ServerPIDs {
			u, err := procUsage(pid)
			if err != nil {
				return s, err
			}
			s.servers = append(s.servers, u)
		}
	} else {
		seen := map[string]bool{}
		for _, raw := range cfg.URLs {
			m := metricsURL(raw)
			if seen[m] {
				continue
			}
			seen[m] = true
			u, err := metricsUsage(m)
			if err != nil {
				cfg.Logger.Warn().Err(err).Msg("server CPU not measured")
				s.servers = nil
				break
			}
			s.servers = append(s.servers, u)
		}
	}
	if cfg.RedisURL != "" {
		info, err := readRedisInfo(ctx, cfg.RedisURL)
		if err != nil {
			return s, err
		}
		s.redis = &info
		s.nodeCommands, s.nodeTrips = nodeRedisCounts(cfg.URLs)
	}
	return s, nil
}

// nodeRedisCounts sums ringsfu_cluster_redis_commands_total and
// ringsfu_cluster_redis_round_trips_total over the nodes' /metrics; -1
// when a node does not expose them.
func nodeRedisCounts(urls []string) (commands, trips float64) {
	seen := map[string]bool{}
	for _, raw := range urls {
		m := metricsURL(raw)
		if seen[m] {
			continue
		}
		seen[m] = true
		vals, err := readMetrics(m, "ringsfu_cluster_redis_commands_total", "ringsfu_cluster_redis_round_trips_total")
		if err != nil || len(vals) < 2 {
			return -1, -1
		}
		commands += vals["ringsfu_cluster_redis_commands_total"]
		trips += vals["ringsfu_cluster_redis_round_trips_total"]
	}
	return commands, trips
}

// readMetrics reads the named unlabelled metrics from a Prometheus
// endpoint.
func readMetrics(url string, names ...string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("loadgen: metrics: %w", err)
	}
	defer resp.Body.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && want[f[0]] {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = v
			}
		}
	}
	return out, sc.Err()
}

// measureIdle reads Redis's command rate while every connection is idle
// (the nodes' own background traffic plus whatever idle sessions cost).
func measureIdle(ctx context.Context, cfg *SignalConfig) (*idleFigures, error) {
	if cfg.RedisURL == "" || cfg.Idle < 0 {
		return nil, nil
	}
	a, err := readRedisInfo(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(cfg.Idle): // a rate needs a window
	}
	b, err := readRedisInfo(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	secs := b.at.Sub(a.at).Seconds()
	return &idleFigures{seconds: secs, commandsPerSec: float64(b.total()-a.total()) / secs,
		cpuCores: (b.cpu - a.cpu).Seconds() / secs}, nil
}

// idleFigures is Redis's load with every connection idle.
type idleFigures struct {
	seconds        float64
	commandsPerSec float64
	cpuCores       float64
}
