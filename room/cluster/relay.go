package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Message is one item relayed between nodes: a request for a call's
// owner, its reply, or an event for a device's node.
type Message struct {
	// ID is the stream id, set on receipt.
	ID string
	// From is the sending node.
	From string
	// Kind says what Body is; KindReply marks a reply to a Request.
	Kind string
	// Corr correlates a request and its reply; empty for one-way messages.
	Corr string
	// Body is the payload, encoded by the caller.
	Body []byte
	// Err is the error code of a failed request (see ErrorCode), with
	// Body holding its message.
	Err string
}

// KindReply is the Kind of a reply to a Request.
const KindReply = "reply"

// inboxTTL is how long an inbox outlives its last write: a dead node's
// inbox disappears after it.
const inboxTTL = 5 * time.Minute

// inboxBlock is how long one XREAD waits before the reader checks its
// context again.
const inboxBlock = time.Second

func (s *Store) inboxKey(node string) string { return s.key("inbox", node) }

// Send appends m to node's inbox (XADD, trimmed to about InboxMax).
func (s *Store) Send(ctx context.Context, node string, m Message) error {
	if m.From == "" {
		m.From = s.cfg.NodeID
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.inboxKey(node)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: key, MaxLen: s.cfg.InboxMax, Approx: true,
			Values: []any{"f", m.From, "k", m.Kind, "c", m.Corr, "b", m.Body, "e", m.Err}})
		p.PExpire(ctx, key, inboxTTL)
		return nil
	})
	return wrap("send", err)
}

// Relay reads this node's inbox and correlates requests with replies. Its
// one goroutine is Run, owned by whoever starts it and ended by its
// context.
type Relay struct {
	s       *Store
	timeout time.Duration
	handle  func(Message)

	mu      sync.Mutex
	pending map[string]func(Message) // guarded by mu: corr → waiting request
	lastID  string                   // guarded by mu: last stream id handled
}

// NewRelay returns a Relay for this node. handle gets every message that is
// not a reply (requests and events), on the reader goroutine, in the order
// they were appended; it must not block (hand the work to a room loop or a
// session queue). timeout bounds Request (default 2 s).
func NewRelay(s *Store, timeout time.Duration, handle func(Message)) *Relay {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Relay{s: s, timeout: timeout, handle: handle, pending: make(map[string]func(Message))}
}

// Start notes where the inbox ends now, so that Run delivers every message
// appended after Start returns. Call it before announcing the node.
func (r *Relay) Start(ctx context.Context) error {
	ctx, cancel := r.s.op(ctx)
	defer cancel()
	last, err := r.s.rdb.XRevRangeN(ctx, r.s.inboxKey(r.s.cfg.NodeID), "+", "-", 1).Result()
	if err != nil {
		return wrap("inbox start", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastID = "0-0"
	if len(last) == 1 {
		r.lastID = last[0].ID
	}
	return nil
}

// Run reads the inbox until ctx ends. A Redis error (outage) is retried
// with a growing pause of up to one second, from the last id handled, so
// the node re-syncs without a restart when Redis is back.
func (r *Relay) Run(ctx context.Context) {
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		r.mu.Lock()
		last := r.lastID
		r.mu.Unlock()
		if last == "" {
			if err := r.Start(ctx); err != nil {
				if !sleepCtx(ctx, pause) {
					return
				}
				pause = min(2*pause, time.Second)
			}
			continue
		}
		res, err := r.s.rdb.XRead(ctx, &redis.XReadArgs{
			Streams: []string{r.s.inboxKey(r.s.cfg.NodeID), last}, Count: 256, Block: inboxBlock,
		}).Result()
		if errors.Is(err, redis.Nil) {
			pause = 50 * time.Millisecond
			continue
		}
		if err != nil {
			if !sleepCtx(ctx, pause) {
				return
			}
			pause = min(2*pause, time.Second)
			continue
		}
		pause = 50 * time.Millisecond
		for _, st := range res {
			for _, x := range st.Messages {
				r.dispatch(decodeMessage(x))
			}
		}
	}
}

// dispatch hands one received message to its waiting Request or to handle.
func (r *Relay) dispatch(m Message) {
	r.mu.Lock()
	r.lastID = m.ID
	var cb func(Message)
	if m.Kind == KindReply {
		cb = r.pending[m.Corr]
		delete(r.pending, m.Corr)
	}
	r.mu.Unlock()
	switch {
	case cb != nil:
		cb(m)
	case m.Kind != KindReply && r.handle != nil:
		r.handle(m)
	}
}

// decodeMessage reads a stream entry.
func decodeMessage(x redis.XMessage) Message {
	str := func(k string) string { v, _ := x.Values[k].(string); return v }
	return Message{ID: x.ID, From: str("f"), Kind: str("k"), Corr: str("c"), Body: []byte(str("b")), Err: str("e")}
}

// Request sends a request to node and waits for its reply. It fails with
// room.ErrUnavailable when no reply comes within the Relay's timeout (the
// node died, or Redis is unreachable): never a hang. A reply carrying an
// error code is returned as that error (see ErrorCode).
func (r *Relay) Request(ctx context.Context, node, kind string, body []byte) ([]byte, error) {
	type out struct {
		body []byte
		err  error
	}
	ch := make(chan out, 1)
	r.Go(ctx, node, kind, body, func(b []byte, err error) { ch <- out{b, err} })
	o := <-ch
	return o.body, o.err
}

// Go sends a request to node and calls done exactly once with the reply or
// the error. A reply is handed to done on the inbox reader goroutine, in
// stream order with the other messages this node receives, so that a reply
// and the events that follow it from the same node keep their order; done
// must therefore not block. On timeout (the Relay's) done gets
// room.ErrUnavailable from a timer goroutine.
func (r *Relay) Go(ctx context.Context, node, kind string, body []byte, done func([]byte, error)) {
	corr := newCorr()
	var once sync.Once
	finish := func(b []byte, err error) { once.Do(func() { done(b, err) }) }
	drop := func() {
		r.mu.Lock()
		delete(r.pending, corr)
		r.mu.Unlock()
	}
	timer := time.AfterFunc(r.timeout, func() {
		drop()
		finish(nil, fmt.Errorf("%w: node %s did not answer %s within %v", room.ErrUnavailable, node, kind, r.timeout))
	})
	r.mu.Lock()
	r.pending[corr] = func(m Message) {
		timer.Stop()
		if m.Err != "" {
			finish(nil, errorFromCode(m.Err, string(m.Body)))
			return
		}
		finish(m.Body, nil)
	}
	r.mu.Unlock()
	if err := r.s.Send(ctx, node, Message{Kind: kind, Corr: corr, Body: body}); err != nil {
		timer.Stop()
		drop()
		finish(nil, err)
	}
}

// Reply answers request req with body, or with err when err is not nil.
func (r *Relay) Reply(ctx context.Context, req Message, body []byte, err error) error {
	return r.ReplyTo(ctx, req.From, req.Corr, body, err)
}

// ReplyTo answers the request corr of node with body, or with err when err
// is not nil.
func (r *Relay) ReplyTo(ctx context.Context, node, corr string, body []byte, err error) error {
	m := Message{Kind: KindReply, Corr: corr, Body: body}
	if err != nil {
		m.Err, m.Body = ErrorCode(err), []byte(err.Error())
	}
	return r.s.Send(ctx, node, m)
}

// SendTo appends a one-way message of kind to node's inbox.
func (r *Relay) SendTo(ctx context.Context, node, kind string, body []byte) error {
	return r.s.Send(ctx, node, Message{Kind: kind, Body: body})
}

// newCorr returns a random correlation id.
func newCorr() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("cluster: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// sleepCtx waits d or until ctx ends; it reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errorCodes maps room's sentinels to the codes relayed replies carry.
var errorCodes = []struct {
	code string
	err  error
}{
	{"bad_request", room.ErrBadRequest},
	{"not_found", room.ErrNotFound},
	{"not_permitted", room.ErrNotPermitted},
	{"busy", room.ErrBusy},
	{"conflict", room.ErrConflict},
	{"too_large", room.ErrTooLarge},
	{"fenced", ErrFenced},
	{"unavailable", room.ErrUnavailable},
}

// ErrorCode returns the relay code of err ("internal" when it wraps none of
// room's sentinels).
func ErrorCode(err error) string {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}

// errorFromCode rebuilds an error that wraps the sentinel of code, with
// the message the owner gave it.
func errorFromCode(code, msg string) error {
	for _, c := range errorCodes {
		if c.code == code {
			return fmt.Errorf("%w%s", c.err, strings.TrimPrefix(msg, c.err.Error()))
		}
	}
	return fmt.Errorf("cluster: relayed error %s: %s", code, msg)
}
