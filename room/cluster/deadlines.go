package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Deadline is one durable timer of a call, such as the ring timeout of an
// invitation. What names it within the call (e.g. the invitation id); it
// must not contain '|'.
type Deadline struct {
	Call room.CallID
	What string
	Due  time.Time
	// Orphan is true when the call had no owner when the deadline was
	// claimed: the claimer must take the call over to fire it.
	Orphan bool
}

func member(call room.CallID, what string) string { return string(call) + "|" + what }

// addDeadlineScript: KEYS lease, deadlines; ARGV value, member, after ms.
// Returns the due time in unix ms by Redis's clock.
var addDeadlineScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
local t = redis.call('TIME')
local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], due, ARGV[2])
return due
`)

// AddDeadline schedules what of l's call to fire after d (by Redis's
// clock) and returns when it is due. Adding an existing deadline moves it.
// It fails with ErrFenced when l is not current.
func (s *Store) AddDeadline(ctx context.Context, l Lease, what string, d time.Duration) (time.Time, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	due, err := addDeadlineScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call), s.deadlinesKey()},
		l.value(), member(l.Call, what), d.Milliseconds()).Int64()
	if err != nil {
		return time.Time{}, wrap("add deadline", err)
	}
	return time.UnixMilli(due), nil
}

// doneDeadlineScript: KEYS lease, deadlines; ARGV value, member.
var doneDeadlineScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
return redis.call('ZREM', KEYS[2], ARGV[2])
`)

// DoneDeadline removes a deadline: the owner calls it when it cancels the
// timer, and after it applied a fired deadline (the acknowledgement that
// stops redelivery). It fails with ErrFenced when l is not current.
func (s *Store) DoneDeadline(ctx context.Context, l Lease, what string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("done deadline", doneDeadlineScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call), s.deadlinesKey()},
		l.value(), member(l.Call, what)).Err())
}

// claimDueScript: KEYS deadlines; ARGV max, redeliver ms, prefix, node.
// Members due by Redis time whose call is owned by node, or by nobody,
// are pushed redeliver ms into the future and returned as {member, score,
// orphan} triples. Deadlines of calls other live nodes own are left to
// them.
var claimDueScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 4 * tonumber(ARGV[1]))
local out = {}
for i = 1, #due, 2 do
  if #out >= 3 * tonumber(ARGV[1]) then break end
  local c = string.match(due[i], '^([^|]+)|')
  local l = c and redis.call('GET', ARGV[3] .. 'call:' .. c .. ':lease')
  local orphan = not l
  if orphan or string.sub(l, string.find(l, '/', 1, true) + 1) == ARGV[4] then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), due[i])
    table.insert(out, due[i]); table.insert(out, due[i + 1]); table.insert(out, orphan and '1' or '0')
  end
end
return out
`)

// ClaimDue returns up to max due deadlines of calls this node owns, and of
// calls nobody owns (Orphan: the owner died; the claimer takes the call
// over to fire it), claiming each for redeliver: no other sweeper gets it
// within that time. The owner applies it and calls DoneDeadline. A
// deadline nobody acknowledges is claimed again after redeliver, so it
// fires even if its claimer died; owners make applying a deadline
// idempotent, so it takes effect exactly once.
func (s *Store) ClaimDue(ctx context.Context, max int, redeliver time.Duration) ([]Deadline, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := claimDueScript.Run(ctx, s.rdb, []string{s.deadlinesKey()}, max, ms(redeliver),
		s.cfg.Prefix, s.cfg.NodeID).StringSlice()
	if err != nil {
		return nil, wrap("claim due", err)
	}
	out := make([]Deadline, 0, len(res)/3)
	for i := 0; i+2 < len(res); i += 3 {
		call, what, _ := strings.Cut(res[i], "|")
		due, err := strconv.ParseFloat(res[i+1], 64)
		if err != nil {
			return nil, fmt.Errorf("cluster: deadline %q has score %q: %w", res[i], res[i+1], err)
		}
		out = append(out, Deadline{Call: room.CallID(call), What: what, Due: time.UnixMilli(int64(due)), Orphan: res[i+2] == "1"})
	}
	return out, nil
}
