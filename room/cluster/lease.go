package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Lease is one acquisition of a call's ownership. Token grows with every
// acquisition of the call, so the pair (Token, Node) names this
// acquisition uniquely; every fenced write compares it with the lease key.
type Lease struct {
	Call  room.CallID
	Node  string
	Token int64
}

// value is what the lease key holds while l is current.
func (l Lease) value() string { return strconv.FormatInt(l.Token, 10) + "/" + l.Node }

// parseLease reads a lease key's value.
func parseLease(call room.CallID, v string) (Lease, error) {
	tok, node, ok := strings.Cut(v, "/")
	n, err := strconv.ParseInt(tok, 10, 64)
	if !ok || err != nil {
		return Lease{}, fmt.Errorf("cluster: malformed lease %q of call %s", v, call)
	}
	return Lease{Call: call, Node: node, Token: n}, nil
}

func (s *Store) leaseKey(call room.CallID) string { return s.key("call", string(call), "lease") }
func (s *Store) fenceKey(call room.CallID) string { return s.key("call", string(call), "fence") }
func (s *Store) ownedKey(node string) string      { return s.key("owned", node) }

// acquireScript: KEYS lease, fence, owned; ARGV node, leaseTTLms,
// garbageTTLms. If the lease is free or already this node's, a new token
// is issued and stored and the call is added to the node's owned set; the
// reply is {1, "token/node"}; else {0, current value}.
var acquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local node = string.sub(cur, string.find(cur, '/', 1, true) + 1)
  if node ~= ARGV[1] then return {0, cur} end
end
local tok = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local v = tok .. '/' .. ARGV[1]
redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {1, v}
`)

// Acquire takes the call's lease for this node with a fresh fencing token.
// It fails with ErrHeld (naming the holder) when another node holds it.
// Re-acquiring a lease this node already holds issues a new token, which
// fences the older Lease value.
func (s *Store) Acquire(ctx context.Context, call room.CallID) (Lease, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := acquireScript.Run(ctx, s.rdb, []string{s.leaseKey(call), s.fenceKey(call), s.ownedKey(s.cfg.NodeID)},
		s.cfg.NodeID, ms(s.cfg.LeaseTTL), ms(s.cfg.GarbageTTL), string(call)).Slice()
	if err != nil {
		return Lease{}, wrap("acquire", err)
	}
	ok, _ := res[0].(int64)
	v, _ := res[1].(string)
	l, perr := parseLease(call, v)
	if perr != nil {
		return Lease{}, perr
	}
	if ok != 1 {
		return l, fmt.Errorf("%w: call %s is owned by %s", ErrHeld, call, l.Node)
	}
	return l, nil
}

// Owner returns the current lease of a call; ok is false when nobody holds
// it (never owned, ended, or the owner died and nobody took it over yet).
func (s *Store) Owner(ctx context.Context, call room.CallID) (l Lease, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	v, err := s.rdb.Get(ctx, s.leaseKey(call)).Result()
	if errors.Is(err, redis.Nil) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, wrap("owner", err)
	}
	l, err = parseLease(call, v)
	return l, err == nil, err
}

// renewScript: KEYS lease; ARGV value, ttl ms.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// Renew extends the lease by LeaseTTL. It fails with ErrFenced when l is
// no longer current.
func (s *Store) Renew(ctx context.Context, l Lease) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("renew", renewScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call)}, l.value(), ms(s.cfg.LeaseTTL)).Err())
}

// renewAllScript: KEYS leases; ARGV ttl ms, then one value per key. It
// returns the 1-based indexes of leases that were not current.
var renewAllScript = redis.NewScript(`
local lost = {}
for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[i + 1] then
    redis.call('PEXPIRE', k, ARGV[1])
  else
    table.insert(lost, i)
  end
end
return lost
`)

// RenewAll extends every lease in ls in one round trip and returns the
// calls whose lease was lost (fenced): their rooms must stop.
func (s *Store) RenewAll(ctx context.Context, ls []Lease) (lost []room.CallID, err error) {
	if len(ls) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ls))
	args := make([]any, 0, len(ls)+1)
	args = append(args, ms(s.cfg.LeaseTTL))
	for i, l := range ls {
		keys[i] = s.leaseKey(l.Call)
		args = append(args, l.value())
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	idx, err := renewAllScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, wrap("renew all", err)
	}
	for _, i := range idx {
		lost = append(lost, ls[i-1].Call)
	}
	return lost, nil
}

// releaseScript: KEYS lease; ARGV value. Compare-and-delete.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`)

// ReleaseLease gives the lease up if l is still current (compare-and-delete);
// releasing a lost lease is a no-op, not an error.
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("release", releaseScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call)}, l.value()).Err())
}

// reclaimScript: KEYS lease, fence, owned; ARGV value, token, node, lease
// ttl ms, garbage ttl ms, call. A lease that is still l is renewed; an
// absent lease is taken again only if nobody acquired the call since l
// (its fence counter is l's token, or gone with a Redis restart);
// anything else is fenced. Reply: the lease value now held.
var reclaimScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return cur
end
if cur then return redis.error_reply('FENCED') end
local f = redis.call('GET', KEYS[2])
if f and tonumber(f) ~= tonumber(ARGV[2]) then return redis.error_reply('FENCED') end
if not f then redis.call('SET', KEYS[2], ARGV[2]) end
local tok = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local v = tok .. '/' .. ARGV[3]
redis.call('SET', KEYS[1], v, 'PX', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[6])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return v
`)

// Reclaim re-establishes l after its renewal failed: when the lease key is
// still l it is renewed; when it vanished (the lease expired during an
// outage or a pause, or Redis restarted empty) and no other node acquired
// the call since, it is taken again with a new token, which is returned.
// If another node acquired the call in between, Reclaim fails with
// ErrFenced: the call is not ours any more.
func (s *Store) Reclaim(ctx context.Context, l Lease) (Lease, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	v, err := reclaimScript.Run(ctx, s.rdb, []string{s.leaseKey(l.Call), s.fenceKey(l.Call), s.ownedKey(s.cfg.NodeID)},
		l.value(), l.Token, s.cfg.NodeID, ms(s.cfg.LeaseTTL), ms(s.cfg.GarbageTTL), string(l.Call)).Text()
	if err != nil {
		return Lease{}, wrap("reclaim", err)
	}
	return parseLease(l.Call, v)
}
