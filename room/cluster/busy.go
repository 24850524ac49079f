package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Slot is a user's place in the cluster-wide busy index: a member of a call
// on one device, or ringing (a waiting invitation) in a call.
type Slot struct {
	Call   room.CallID
	Member bool
	Device room.DeviceID
}

// parseSlot reads a busy key's value "call|m|device" or "call|r|".
func parseSlot(v string) (Slot, bool) {
	parts := strings.SplitN(v, "|", 3)
	if len(parts) != 3 || parts[0] == "" {
		return Slot{}, false
	}
	return Slot{Call: room.CallID(parts[0]), Member: parts[1] == "m", Device: room.DeviceID(parts[2])}, true
}

func (s *Store) busyKey(u room.UserID) string { return s.key("busy", string(u)) }

// slotValidLua defines valid(prefix, v): the call a slot value names, if
// that call's lease exists; nil otherwise. A slot whose call has no owner
// (ended without cleanup, or its node died and nobody took it over) does
// not make anyone busy: that is how nobody stays busy past one lease TTL.
// The keys it reads are built in the script, so the store needs one Redis
// server (not Redis Cluster).
const slotValidLua = `
local function valid(prefix, v)
  if not v then return nil end
  local c = string.match(v, '^([^|]+)|')
  if c and redis.call('EXISTS', prefix .. 'call:' .. c .. ':lease') == 1 then return c end
  return nil
end
`

// reserveScript: KEYS lease; ARGV value, prefix, call, ttl ms, users...
// For each user, in order: "" when it now rings in (or already belongs
// to) this call, else the id of the call it is busy in.
var reserveScript = redis.NewScript(slotValidLua + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
local out = {}
for i = 5, #ARGV do
  local k = ARGV[2] .. 'busy:' .. ARGV[i]
  local c = valid(ARGV[2], redis.call('GET', k))
  if c and c ~= ARGV[3] then
    table.insert(out, c)
  else
    if not c then redis.call('SET', k, ARGV[3] .. '|r|', 'PX', ARGV[4]) end
    table.insert(out, '')
  end
end
return out
`)

// Reserve marks every user in users as ringing in l's call, atomically
// across the cluster. busy maps each user that is a member of, or ringing
// in, another live call to that call; every other user now rings here (a
// user already in this call keeps its slot). Reserve fails with ErrFenced
// when l is not current.
func (s *Store) Reserve(ctx context.Context, l Lease, users []room.UserID) (busy map[room.UserID]room.CallID, err error) {
	if len(users) == 0 {
		return nil, nil
	}
	args := []any{l.value(), s.cfg.Prefix, string(l.Call), ms(s.cfg.GarbageTTL)}
	for _, u := range users {
		args = append(args, string(u))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := reserveScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call)}, args...).StringSlice()
	if err != nil {
		return nil, wrap("reserve", err)
	}
	for i, c := range res {
		if c == "" {
			continue
		}
		if busy == nil {
			busy = make(map[room.UserID]room.CallID)
		}
		busy[users[i]] = room.CallID(c)
	}
	return busy, nil
}

// claimScript: KEYS lease; ARGV value, prefix, call, ttl ms, user, device.
// Reply {code, call}: 0 claimed, 1 claimed and displaced a ring in call,
// 2 another device of the user holds this call, 3 member of call.
var claimScript = redis.NewScript(slotValidLua + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
local k = ARGV[2] .. 'busy:' .. ARGV[5]
local v = redis.call('GET', k)
local c = valid(ARGV[2], v)
local code, other = 0, ''
if c then
  local kind, dev = string.match(v, '^[^|]+|(%a)|(.*)$')
  if kind == 'm' and c == ARGV[3] and dev == ARGV[6] then return {0, ''} end
  if kind == 'm' and c == ARGV[3] then return {2, c} end
  if kind == 'm' then return {3, c} end
  if c ~= ARGV[3] then code, other = 1, c end
end
redis.call('SET', k, ARGV[3] .. '|m|' .. ARGV[6], 'PX', ARGV[4])
return {code, other}
`)

// Claim makes u a member of l's call on device dev (accept, join, or the
// creator of a call). A waiting invitation of u in another call is
// displaced and its call returned, so that the caller can reject it as
// busy on u's behalf. It fails with room.ErrBusy when u is a member of
// another live call, room.ErrConflict when another device of u holds this
// call, and ErrFenced when l is not current.
func (s *Store) Claim(ctx context.Context, l Lease, u room.UserID, dev room.DeviceID) (displaced room.CallID, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := claimScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call)},
		l.value(), s.cfg.Prefix, string(l.Call), ms(s.cfg.GarbageTTL), string(u), string(dev)).Slice()
	if err != nil {
		return "", wrap("claim", err)
	}
	code, _ := res[0].(int64)
	other, _ := res[1].(string)
	switch code {
	case 0:
		return "", nil
	case 1:
		return room.CallID(other), nil
	case 2:
		return "", fmt.Errorf("%w: the call is held by another device of this user", room.ErrConflict)
	default:
		return "", fmt.Errorf("%w: already in call %s", room.ErrBusy, other)
	}
}

// releaseSlotsScript: KEYS lease; ARGV value, prefix, call, users...
// Compare-and-delete of each user's slot that names this call.
var releaseSlotsScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
local n = 0
for i = 4, #ARGV do
  local k = ARGV[2] .. 'busy:' .. ARGV[i]
  local v = redis.call('GET', k)
  if v and string.sub(v, 1, #ARGV[3] + 1) == ARGV[3] .. '|' then
    redis.call('DEL', k)
    n = n + 1
  end
end
return n
`)

// ReleaseSlots frees the slots of users that belong to l's call
// (compare-and-delete); slots in other calls are left alone. It fails
// with ErrFenced when l is not current.
func (s *Store) ReleaseSlots(ctx context.Context, l Lease, users ...room.UserID) error {
	if len(users) == 0 {
		return nil
	}
	args := []any{l.value(), s.cfg.Prefix, string(l.Call)}
	for _, u := range users {
		args = append(args, string(u))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("release slots", releaseSlotsScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call)}, args...).Err())
}

// slotScript: ARGV prefix, user. The user's slot value if its call is
// live, else nil.
var slotScript = redis.NewScript(slotValidLua + `
local v = redis.call('GET', ARGV[1] .. 'busy:' .. ARGV[2])
if valid(ARGV[1], v) then return v end
return false
`)

// SlotOf returns u's slot; ok is false when u is free (no slot, or a slot
// whose call has no live owner).
func (s *Store) SlotOf(ctx context.Context, u room.UserID) (Slot, bool, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	v, err := slotScript.Run(ctx, s.rdb, nil, s.cfg.Prefix, string(u)).Text()
	if errors.Is(err, redis.Nil) {
		return Slot{}, false, nil
	}
	if err != nil {
		return Slot{}, false, wrap("slot", err)
	}
	sl, ok := parseSlot(v)
	return sl, ok, nil
}
