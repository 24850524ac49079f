package push

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
)

// Config configures a Dispatcher. Zero values take the defaults.
type Config struct {
	// Store holds the registrations. Required.
	Store Store
	// Providers are the configured push services; a registration whose
	// provider is not among them is skipped (counted no_provider).
	Providers []Provider
	// QueueSize bounds the event queue and each provider's queue
	// (default 1024).
	QueueSize int
	// Workers sending per provider (default 4).
	Workers int
	// Attempts per push, the first included (default 4).
	Attempts int
	// Backoff before the first retry, doubling up to MaxBackoff (default
	// 500 ms and 30 s).
	Backoff, MaxBackoff time.Duration
	// SendTimeout bounds one attempt (default 10 s).
	SendTimeout time.Duration
	// RingBurst and RingEvery rate-limit ring pushes per registration: a
	// burst of RingBurst, then one per RingEvery (default 10 and 3 s).
	RingBurst int
	RingEvery time.Duration
	// Registerer takes the /metrics counters; nil registers none.
	Registerer prometheus.Registerer
	Logger     zerolog.Logger
}

// event is one ring or stop for one user.
type event struct {
	user string
	live map[string]bool
	msg  Message
}

// note is an invitation's notification text, kept until the ring starts.
type note struct {
	title, body string
	until       time.Time
}

// rungSet is the registrations rung by push for one call and user.
type rungSet struct {
	regs  map[string]Registration
	until time.Time
}

// bucket is one registration's ring rate limit.
type bucket struct {
	tokens float64
	at     time.Time
}

// Dispatcher turns ring and stop events into pushes. Its methods are safe
// for concurrent use and never block.
type Dispatcher struct {
	cfg     Config
	m       *metrics
	log     zerolog.Logger
	events  chan event
	senders map[string]*sender
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once

	mu    sync.Mutex
	notes map[string]note // by invitation id; guarded by mu

	// Owned by the resolver goroutine.
	rung    map[string]*rungSet  // by call id + "|" + user
	rang    map[string]time.Time // dedupe: registration id + "|" + invitation id
	buckets map[string]*bucket   // by registration id
	swept   time.Time
}

// NewDispatcher starts a dispatcher; Close stops it.
func NewDispatcher(cfg Config) *Dispatcher {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.RingBurst <= 0 {
		cfg.RingBurst = 10
	}
	if cfg.RingEvery <= 0 {
		cfg.RingEvery = 3 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{cfg: cfg, m: newMetrics(cfg.Registerer), log: cfg.Logger, events: make(chan event, cfg.QueueSize),
		senders: map[string]*sender{}, cancel: cancel, notes: map[string]note{},
		rung: map[string]*rungSet{}, rang: map[string]time.Time{}, buckets: map[string]*bucket{}}
	for _, p := range cfg.Providers {
		s := &sender{p: p, jobs: make(chan job, cfg.QueueSize), d: d}
		d.senders[p.Name()] = s
		for i := 0; i < cfg.Workers; i++ {
			d.wg.Add(1)
			go s.run(ctx, &d.wg)
		}
	}
	d.wg.Add(1)
	go d.resolve(ctx)
	return d
}

// Close stops every goroutine, canceling sends in flight, and waits.
func (d *Dispatcher) Close() {
	d.once.Do(func() {
		d.cancel()
		d.wg.Wait()
	})
}

// Ring asks for ring pushes to user's devices that are not in live.
func (d *Dispatcher) Ring(user room.UserID, live []room.DeviceID, ic room.IncomingCall) {
	m := Message{Kind: KindRing, CallID: string(ic.CallID), InvitationID: string(ic.InvitationID),
		CallerID: string(ic.Caller.ID), CallerName: ic.Caller.Name, Type: string(ic.Type), CustomData: ic.CustomData,
		ExpiresAt: ic.ExpiresAt}
	d.mu.Lock()
	if n, ok := d.notes[m.InvitationID]; ok {
		m.Title, m.Body = n.title, n.body
	}
	d.mu.Unlock()
	d.enqueue(string(user), live, m)
}

// StopRing asks for stop pushes to user's devices that were rung by push
// for call and are not in live.
func (d *Dispatcher) StopRing(user room.UserID, live []room.DeviceID, call room.CallID, reason string) {
	d.enqueue(string(user), live, Message{Kind: KindStop, CallID: string(call), Reason: reason})
}

// enqueue queues an event without blocking.
func (d *Dispatcher) enqueue(user string, live []room.DeviceID, m Message) {
	ev := event{user: user, live: make(map[string]bool, len(live)), msg: m}
	for _, dev := range live {
		ev.live[string(dev)] = true
	}
	select {
	case d.events <- ev:
	default:
		d.m.dropped.WithLabelValues("overflow").Inc()
	}
}

// resolve reads registrations for each event and queues the pushes.
func (d *Dispatcher) resolve(ctx context.Context) {
	defer d.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-d.events:
			d.handle(ctx, ev, time.Now())
		}
	}
}

// handle fans one event out to the provider queues.
func (d *Dispatcher) handle(ctx context.Context, ev event, now time.Time) {
	d.sweep(now)
	key := ev.msg.CallID + "|" + ev.user
	if ev.msg.Kind == KindStop {
		set := d.rung[key]
		delete(d.rung, key)
		if set == nil {
			return
		}
		for _, r := range set.regs {
			if !ev.live[r.Device] {
				d.push(r, ev.msg)
			}
		}
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	regs, err := d.cfg.Store.Registrations(sctx, ev.user)
	cancel()
	if err != nil {
		d.m.dropped.WithLabelValues("store").Inc()
		d.log.Warn().Err(err).Str("user_id", ev.user).Msg("push registrations unreadable")
		return
	}
	for _, r := range regs {
		if ev.live[r.Device] {
			continue
		}
		dk := r.ID + "|" + ev.msg.InvitationID
		if _, dup := d.rang[dk]; dup {
			d.m.dropped.WithLabelValues("duplicate").Inc()
			continue
		}
		if d.senders[r.Provider] == nil {
			d.m.dropped.WithLabelValues("no_provider").Inc()
			continue
		}
		if !d.allow(r.ID, now) {
			d.m.dropped.WithLabelValues("rate_limited").Inc()
			continue
		}
		until := ev.msg.ExpiresAt.Add(time.Minute)
		if ev.msg.ExpiresAt.IsZero() {
			until = now.Add(5 * time.Minute)
		}
		d.rang[dk] = until
		set := d.rung[key]
		if set == nil {
			set = &rungSet{regs: map[string]Registration{}}
			d.rung[key] = set
		}
		set.regs[r.ID], set.until = r, until
		d.push(r, ev.msg)
	}
}

// push queues one push on its provider.
func (d *Dispatcher) push(r Registration, m Message) {
	s := d.senders[r.Provider]
	if s == nil {
		d.m.dropped.WithLabelValues("no_provider").Inc()
		return
	}
	if !s.enqueue(job{reg: r, msg: m}) {
		d.m.dropped.WithLabelValues("overflow").Inc()
	}
}

// allow takes a ring token from registration id's bucket.
func (d *Dispatcher) allow(id string, now time.Time) bool {
	b := d.buckets[id]
	if b == nil {
		b = &bucket{tokens: float64(d.cfg.RingBurst), at: now}
		d.buckets[id] = b
	}
	b.tokens = min(float64(d.cfg.RingBurst), b.tokens+now.Sub(b.at).Seconds()/d.cfg.RingEvery.Seconds())
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops expired bookkeeping, at most once a second.
func (d *Dispatcher) sweep(now time.Time) {
	if now.Sub(d.swept) < time.Second {
		return
	}
	d.swept = now
	for k, until := range d.rang {
		if now.After(until) {
			delete(d.rang, k)
		}
	}
	for k, s := range d.rung {
		if now.After(s.until) {
			delete(d.rung, k)
		}
	}
	full := time.Duration(d.cfg.RingBurst) * d.cfg.RingEvery
	for k, b := range d.buckets {
		if now.Sub(b.at) > full {
			delete(d.buckets, k)
		}
	}
	d.mu.Lock()
	for k, n := range d.notes {
		if now.After(n.until) {
			delete(d.notes, k)
		}
	}
	d.mu.Unlock()
}

// remove deletes a registration the provider reported gone.
func (d *Dispatcher) remove(ctx context.Context, r Registration) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.cfg.Store.Remove(sctx, r.User, r.ID); err != nil {
		d.log.Warn().Err(err).Str("registration_id", r.ID).Msg("remove gone push registration")
	}
}
