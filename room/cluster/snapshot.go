package cluster

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

func (s *Store) snapKey(call room.CallID) string { return s.key("call", string(call), "snap") }
func (s *Store) deadlinesKey() string            { return s.key("deadlines") }

// saveScript: KEYS lease, snap, owned; ARGV value, data, garbage ttl ms,
// prefix, call, users... Stores the snapshot and refreshes the garbage TTL
// of the users' slots that name this call.
var saveScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
for i = 6, #ARGV do
  local k = ARGV[4] .. 'busy:' .. ARGV[i]
  local v = redis.call('GET', k)
  if v and string.sub(v, 1, #ARGV[5] + 1) == ARGV[5] .. '|' then redis.call('PEXPIRE', k, ARGV[3]) end
end
return 1
`)

// SaveSnapshot stores the call's state (opaque bytes: package room encodes
// callID, members, invitees and their states, config, initiator and ring
// deadlines) for a takeover, if l is current; else it fails with
// ErrFenced and nothing is written. users are the call's members and
// waiting invitees, whose busy slots it keeps from expiring as garbage.
func (s *Store) SaveSnapshot(ctx context.Context, l Lease, data []byte, users []room.UserID) error {
	args := []any{l.value(), data, ms(s.cfg.GarbageTTL), s.cfg.Prefix, string(l.Call)}
	for _, u := range users {
		args = append(args, string(u))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	keys := []string{s.leaseKey(l.Call), s.snapKey(l.Call), s.ownedKey(l.Node)}
	return wrap("save snapshot", saveScript.Run(ctx, s.rdb, keys, args...).Err())
}

// dropScript: KEYS lease, snap; ARGV value.
var dropScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
return redis.call('DEL', KEYS[2])
`)

// DropSnapshot removes the call's snapshot if l is current (the call is
// ending: a node that adopts it then finds nothing to restore and cleans
// it up); else it fails with ErrFenced.
func (s *Store) DropSnapshot(ctx context.Context, l Lease) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("drop snapshot", dropScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call), s.snapKey(l.Call)}, l.value()).Err())
}

// LoadSnapshot returns the last snapshot saved for a call; ok is false when
// there is none (the call ended, or never saved).
func (s *Store) LoadSnapshot(ctx context.Context, call room.CallID) (data []byte, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	b, err := s.rdb.Get(ctx, s.snapKey(call)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap("load snapshot", err)
	}
	return b, true, nil
}

// endScript: KEYS lease, snap, owned, deadlines; ARGV value, prefix, call,
// #deadlines, deadline whats..., users... Everything a call holds goes,
// in one fenced step.
var endScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
local nd = tonumber(ARGV[4])
for i = 5, 4 + nd do redis.call('ZREM', KEYS[4], ARGV[3] .. '|' .. ARGV[i]) end
for i = 5 + nd, #ARGV do
  local k = ARGV[2] .. 'busy:' .. ARGV[i]
  local v = redis.call('GET', k)
  if v and string.sub(v, 1, #ARGV[3] + 1) == ARGV[3] .. '|' then redis.call('DEL', k) end
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
`)

// EndCall removes an ended call from the cluster in one fenced step: its
// ring deadlines (whats), the busy slots of users that name it, its
// snapshot, and its lease. It fails with ErrFenced when l is not current,
// leaving everything to the current owner.
func (s *Store) EndCall(ctx context.Context, l Lease, deadlines []string, users []room.UserID) error {
	args := []any{l.value(), s.cfg.Prefix, string(l.Call), len(deadlines)}
	for _, w := range deadlines {
		args = append(args, w)
	}
	for _, u := range users {
		args = append(args, string(u))
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	keys := []string{s.leaseKey(l.Call), s.snapKey(l.Call), s.ownedKey(l.Node), s.deadlinesKey()}
	return wrap("end call", endScript.Run(ctx, s.rdb, keys, args...).Err())
}
