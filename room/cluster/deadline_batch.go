package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Deadline writes are batched per room command. A ring timer scheduled or
// stopped by a command (invite, accept, decline, cancel) is not sent to
// Redis on its own: it is queued and goes with the command's snapshot, in
// the same fenced script (saveBatchScript), or, when the command stored no
// snapshot, in one script at the end of the command (FlushCall, called by
// the room after its persist), or with the call's end (EndCall). The sweep
// sends what is still queued after one sweep interval, so a path that
// flushes nothing still stores its deadlines. A deadline fires only from
// Redis (the sweep), so a queued one cannot fire early; if its write
// fails (Redis unreachable), it falls back to a local timer as Schedule
// always did. Writes queued for a call this node no longer owns are
// dropped: its new owner re-arms the deadlines from the snapshot.

// deadlineOp is one queued deadline write of a call.
type deadlineOp struct {
	what   string
	due    time.Time // by this node's clock; for an add
	done   bool      // remove (Stop) rather than add
	timer  *nodeTimer
	queued time.Time
}

var _ room.CommandFlusher = (*Node)(nil)

// queueDeadlineLocked queues op for call. It runs under n.mu.
func (n *Node) queueDeadlineLocked(call room.CallID, op deadlineOp) {
	ops := n.queued[call]
	if op.done {
		// A stop cancels an add still queued; the removal is still sent
		// (the member may be in Redis from an earlier write or owner).
		kept := ops[:0]
		for _, o := range ops {
			if o.done || o.what != op.what {
				kept = append(kept, o)
			}
		}
		ops = kept
	}
	op.queued = time.Now()
	n.queued[call] = append(ops, op)
}

// takeQueued removes and returns call's queued deadline writes.
func (n *Node) takeQueued(call room.CallID) []deadlineOp {
	n.mu.Lock()
	defer n.mu.Unlock()
	ops := n.queued[call]
	delete(n.queued, call)
	return ops
}

// deadlineArgs appends the script arguments of ops: their count, then
// kind ("a" add, "d" done), member and milliseconds left for each.
func deadlineArgs(args []any, call room.CallID, ops []deadlineOp) []any {
	args = append(args, len(ops))
	now := time.Now()
	for _, o := range ops {
		kind := "a"
		if o.done {
			kind = "d"
		}
		args = append(args, kind, member(call, o.what), max(o.due.Sub(now), 0).Milliseconds())
	}
	return args
}

// deadlineOpsLua applies ARGV[first..] as written by deadlineArgs to the
// deadlines sorted set KEYS[dk] and returns the index after them.
const deadlineOpsLua = `
local function applyDeadlines(dk, first)
  local n = tonumber(ARGV[first])
  local now
  for i = 0, n - 1 do
    local j = first + 1 + 3 * i
    if ARGV[j] == 'a' then
      if not now then
        local t = redis.call('TIME')
        now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      end
      redis.call('ZADD', KEYS[dk], now + tonumber(ARGV[j + 2]), ARGV[j + 1])
    else
      redis.call('ZREM', KEYS[dk], ARGV[j + 1])
    end
  end
  return first + 1 + 3 * n
end
`

// deadlineOpsScript: KEYS lease, deadlines; ARGV value, then the ops of
// deadlineArgs. Fenced.
var deadlineOpsScript = redis.NewScript(deadlineOpsLua + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
applyDeadlines(2, 2)
return 1
`)

// saveBatchScript: KEYS lease, snap, owned, deadlines; ARGV value, data,
// garbage ttl ms, prefix, call, then the ops of deadlineArgs, then users.
// SaveSnapshot's script and the queued deadline writes, in one fenced step.
var saveBatchScript = redis.NewScript(deadlineOpsLua + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
local first = applyDeadlines(4, 6)
for i = first, #ARGV do
  local k = ARGV[4] .. 'busy:' .. ARGV[i]
  local v = redis.call('GET', k)
  if v and string.sub(v, 1, #ARGV[5] + 1) == ARGV[5] .. '|' then redis.call('PEXPIRE', k, ARGV[3]) end
end
return 1
`)

// saveWithDeadlines is SaveSnapshot plus ops, in one round trip.
func (s *Store) saveWithDeadlines(ctx context.Context, l Lease, data []byte, users []room.UserID, ops []deadlineOp) error {
	args := []any{l.value(), data, ms(s.cfg.GarbageTTL), s.cfg.Prefix, string(l.Call)}
	args = deadlineArgs(args, l.Call, ops)
	for _, u := range users {
		args = append(args, string(u))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	keys := []string{s.leaseKey(l.Call), s.snapKey(l.Call), s.ownedKey(l.Node), s.deadlinesKey()}
	return wrap("save snapshot", saveBatchScript.Run(ctx, s.rdb, keys, args...).Err())
}

// writeDeadlines sends ops for l's call in one fenced round trip.
func (s *Store) writeDeadlines(ctx context.Context, l Lease, ops []deadlineOp) error {
	args := deadlineArgs([]any{l.value()}, l.Call, ops)
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("deadlines", deadlineOpsScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call), s.deadlinesKey()}, args...).Err())
}

// FlushCall implements room.CommandFlusher: the deadline writes call's
// command queued and its snapshot did not carry are sent now, in one
// round trip. It runs on the room's loop.
func (n *Node) FlushCall(call room.CallID) {
	ops := n.takeQueued(call)
	if len(ops) == 0 {
		return
	}
	l, err := n.lease(call)
	if err != nil {
		return // the call is not this node's any more: its writes are moot
	}
	n.deadlinesWritten(call, ops, n.s.writeDeadlines(context.Background(), l, ops))
}

// deadlinesWritten handles the outcome of writing ops: when Redis could
// not be asked (or the node shuts down), each add still pending falls back
// to a local timer, so a running call still rings out; a fenced write is
// dropped (the call moved: its new owner re-arms from the snapshot).
func (n *Node) deadlinesWritten(call room.CallID, ops []deadlineOp, err error) {
	if err == nil || errors.Is(err, ErrFenced) {
		return
	}
	n.log.Warn().Err(err).Str("call_id", string(call)).Msg("durable deadline unavailable; local timer")
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, o := range ops {
		if o.done || o.timer == nil {
			continue
		}
		t, key := o.timer, member(call, o.what)
		if n.timers[key] != t || t.local != nil {
			continue // stopped or fired meanwhile
		}
		t.local = time.AfterFunc(max(time.Until(o.due), 0), func() { n.fireTimer(key, t) })
	}
}

// flushStale sends the deadline writes queued longer than age, for calls
// whose command did not flush them. The sweep calls it.
func (n *Node) flushStale(age time.Duration) {
	n.mu.Lock()
	var calls []room.CallID
	for call, ops := range n.queued {
		if len(ops) > 0 && time.Since(ops[0].queued) >= age {
			calls = append(calls, call)
		}
	}
	n.mu.Unlock()
	for _, call := range calls {
		n.FlushCall(call)
	}
}
