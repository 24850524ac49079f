package history

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Store is written to. Required.
	Store *Store
	// QueueSize bounds the ops waiting to be written; past it new ops are
	// dropped and counted. Default 10000.
	QueueSize int
	// BatchSize caps the ops written in one transaction. Default 256.
	BatchSize int
	// RetryMin and RetryMax bound the backoff between attempts to write a
	// batch the database refused. Defaults 100 ms and 5 s.
	RetryMin, RetryMax time.Duration
	// Retention is how long ended calls are kept; 0 means 90 days, a
	// negative value keeps them forever.
	Retention time.Duration
	// RetentionEvery is how often old calls are deleted. Default 1 h.
	RetentionEvery time.Duration
	// Registerer gets the recorder's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger gets write failures and drops. Default: disabled.
	Logger zerolog.Logger
}

// DefaultRetention is how long call history is kept by default.
const DefaultRetention = 90 * 24 * time.Hour

// Recorder implements room.History: it turns the room's reports into Ops
// and writes them from its own goroutine. Reporting never blocks: ops go
// into a bounded queue; a full queue drops the op and counts it. A batch the
// database refuses is retried with backoff until it is written, so a
// database outage loses nothing unless the queue overflows meanwhile.
type Recorder struct {
	cfg   RecorderConfig
	log   zerolog.Logger
	queue chan Op
	stop  chan struct{} // closed by Close: drain and exit
	quit  chan struct{} // closed when Close's context ends: give up
	done  chan struct{} // closed when the writer exits
	once  sync.Once

	mu   sync.Mutex
	recs map[room.CallID]string // guarded by mu: the open record of each call

	pending atomic.Int64 // ops queued or being written
	m       recorderMetrics
}

var _ room.History = (*Recorder)(nil)

// recorderMetrics are the recorder's Prometheus counters.
type recorderMetrics struct {
	written prometheus.Counter
	batches prometheus.Counter
	dropped *prometheus.CounterVec
	errors  prometheus.Counter
	removed prometheus.Counter
}

// NewRecorder starts a Recorder's writer and retention goroutines; Close
// stops them.
func NewRecorder(cfg RecorderConfig) *Recorder {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 100 * time.Millisecond
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 5 * time.Second
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.RetentionEvery <= 0 {
		cfg.RetentionEvery = time.Hour
	}
	r := &Recorder{
		cfg: cfg, log: cfg.Logger,
		queue: make(chan Op, cfg.QueueSize),
		stop:  make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{}),
		recs: map[room.CallID]string{},
	}
	r.m = recorderMetrics{
		written: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ringsfu", Name: "history_writes_total",
			Help: "Call history ops written to the database."}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ringsfu", Name: "history_batches_total",
			Help: "Transactions that wrote call history (each holds up to the batch size of ops)."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "history_dropped_total",
			Help: "Call history ops lost: the queue was full (overflow) or the database was still down at shutdown."}, []string{"reason"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ringsfu", Name: "history_write_errors_total",
			Help: "Failed attempts to write a batch of call history (each is retried)."}),
		removed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ringsfu", Name: "history_expired_total",
			Help: "Calls deleted from history by the retention job."}),
	}
	if cfg.Registerer != nil {
		queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "ringsfu", Name: "history_queue",
			Help: "Call history ops waiting to be written."}, func() float64 { return float64(r.pending.Load()) })
		cfg.Registerer.MustRegister(r.m.written, r.m.batches, r.m.dropped, r.m.errors, r.m.removed, queued)
	}
	go r.run()
	return r
}

// Pending returns how many ops are queued or being written.
func (r *Recorder) Pending() int64 { return r.pending.Load() }

// Dropped returns how many ops were lost for reason ("overflow" or
// "shutdown").
func (r *Recorder) Dropped(reason string) float64 {
	return counterValue(r.m.dropped.WithLabelValues(reason))
}

// enqueue queues op without blocking.
func (r *Recorder) enqueue(op Op) {
	r.pending.Add(1)
	select {
	case r.queue <- op:
	default:
		r.pending.Add(-1)
		r.m.dropped.WithLabelValues("overflow").Inc()
		r.log.Warn().Str("call_id", op.Call).Int("queue", r.cfg.QueueSize).Msg("call history queue full: record dropped")
	}
}

// newRecID returns a fresh record id.
func newRecID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "rec_" + hex.EncodeToString(b[:])
}

// rec returns the open record id of call, opening one if the call's start
// was not seen (a call taken over from another node).
func (r *Recorder) rec(call room.CallID, at time.Time) string {
	r.mu.Lock()
	id, ok := r.recs[call]
	if !ok {
		id = newRecID()
		r.recs[call] = id
	}
	r.mu.Unlock()
	if !ok {
		r.enqueue(Op{Kind: OpCallStarted, Rec: id, Call: string(call), At: at})
	}
	return id
}

// recIDFor derives the record id of a call from its id and start, so that
// every node that runs the call (after a takeover, room.Manager.Restore
// reports the same start) writes to one record.
func recIDFor(call room.CallID, start time.Time) string {
	h := sha256.Sum256([]byte(string(call) + "|" + strconv.FormatInt(start.UnixMilli(), 10)))
	return "rec_" + hex.EncodeToString(h[:12])
}

// CallStarted implements room.History. A call restored on this node after
// a takeover is reported again with its original start: same record.
func (r *Recorder) CallStarted(call room.CallID, typ room.CallType, initiator room.User, at time.Time) {
	id := recIDFor(call, at)
	r.mu.Lock()
	r.recs[call] = id
	r.mu.Unlock()
	r.enqueue(Op{Kind: OpCallStarted, Rec: id, Call: string(call), Type: string(typ), User: string(initiator.ID), Name: initiator.Name, At: at})
}

// CallEnded implements room.History.
func (r *Recorder) CallEnded(call room.CallID, reason string, at time.Time) {
	id := r.rec(call, at)
	r.mu.Lock()
	delete(r.recs, call)
	r.mu.Unlock()
	r.enqueue(Op{Kind: OpCallEnded, Rec: id, Call: string(call), Reason: reason, At: at})
}

// MemberJoined implements room.History.
func (r *Recorder) MemberJoined(call room.CallID, u room.User, device room.DeviceID, at time.Time) {
	r.enqueue(Op{Kind: OpMemberJoined, Rec: r.rec(call, at), Call: string(call), User: string(u.ID), Name: u.Name, Device: string(device), At: at})
}

// MemberLeft implements room.History.
func (r *Recorder) MemberLeft(call room.CallID, u room.User, reason string, at time.Time) {
	r.enqueue(Op{Kind: OpMemberLeft, Rec: r.rec(call, at), Call: string(call), User: string(u.ID), Reason: reason, At: at})
}

// InviteeChanged implements room.History. Ringing (waiting) and busy at
// invite time open an invitee row; the other states are its outcome. Quit
// and removed are membership changes, recorded by MemberLeft.
func (r *Recorder) InviteeChanged(call room.CallID, inv room.InvitationID, invitee, inviter room.User, state room.InviteeStatus, at time.Time) {
	op := Op{Rec: r.rec(call, at), Call: string(call), Invitation: string(inv), User: string(invitee.ID),
		Name: invitee.Name, Inviter: string(inviter.ID), Outcome: string(state), At: at}
	switch state {
	case room.StatusQuit, room.StatusRemoved:
		return
	case room.StatusWaiting:
		op.Kind = OpInvited
	case room.StatusBusy:
		// Busy is either the answer to a ring (the row exists) or the state
		// at invite time (it does not): insert, then set, covers both.
		op.Kind = OpInvited
		r.enqueue(op)
		op.Kind = OpInviteeOutcome
	default:
		op.Kind = OpInviteeOutcome
	}
	r.enqueue(op)
}

// Close stops taking new ops into the database after writing what is
// queued: it waits until ctx ends for the queue to drain (retrying a
// refused batch meanwhile) and counts what it could not write as dropped
// (reason "shutdown").
func (r *Recorder) Close(ctx context.Context) {
	r.once.Do(func() {
		close(r.stop)
		select {
		case <-r.done:
		case <-ctx.Done():
			close(r.quit)
			<-r.done
		}
	})
}
