package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

var _ room.OwnClaimer = (*Node)(nil)

// acquireClaimScript: KEYS lease, fence, owned; ARGV node, lease ttl ms,
// garbage ttl ms, call, prefix, user, device. acquireScript and then
// claimScript for the call's creator, in one step that writes nothing
// unless both succeed. The claim reads a slot naming this call as live,
// as it would once the lease is taken. Reply {0, lease value}: held by
// another node; {1, lease value, code, call} with claimScript's code.
var acquireClaimScript = redis.NewScript(slotValidLua + `
local cur = redis.call('GET', KEYS[1])
if cur then
  local node = string.sub(cur, string.find(cur, '/', 1, true) + 1)
  if node ~= ARGV[1] then return {0, cur} end
end
local k = ARGV[5] .. 'busy:' .. ARGV[6]
local v = redis.call('GET', k)
local c = nil
if v and string.sub(v, 1, #ARGV[4] + 1) == ARGV[4] .. '|' then c = ARGV[4] else c = valid(ARGV[5], v) end
local code, other = 0, ''
if c then
  local kind, dev = string.match(v, '^[^|]+|(%a)|(.*)$')
  if kind == 'm' and c == ARGV[4] and dev ~= ARGV[7] then return {1, '', 2, c} end
  if kind == 'm' and c ~= ARGV[4] then return {1, '', 3, c} end
  if c ~= ARGV[4] then code, other = 1, c end
end
local tok = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local lv = tok .. '/' .. ARGV[1]
redis.call('SET', KEYS[1], lv, 'PX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('SET', k, ARGV[4] .. '|m|' .. ARGV[7], 'PX', ARGV[3])
return {1, lv, code, other}
`)

// AcquireClaim takes the call's lease for this node, as Acquire, and makes
// u a member of it on device dev, as Claim, in one round trip; when the
// claim fails nothing is written. It fails with ErrHeld when another node
// holds the lease, and with Claim's errors.
func (s *Store) AcquireClaim(ctx context.Context, call room.CallID, u room.UserID, dev room.DeviceID) (l Lease, displaced room.CallID, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := acquireClaimScript.Run(ctx, s.rdb, []string{s.leaseKey(call), s.fenceKey(call), s.ownedKey(s.cfg.NodeID)},
		s.cfg.NodeID, ms(s.cfg.LeaseTTL), ms(s.cfg.GarbageTTL), string(call), s.cfg.Prefix, string(u), string(dev)).Slice()
	if err != nil {
		return Lease{}, "", wrap("acquire and claim", err)
	}
	ok, _ := res[0].(int64)
	v, _ := res[1].(string)
	if ok != 1 {
		held, perr := parseLease(call, v)
		if perr != nil {
			return Lease{}, "", perr
		}
		return Lease{}, "", fmt.Errorf("%w: call %s is owned by %s", ErrHeld, call, held.Node)
	}
	code, _ := res[2].(int64)
	other, _ := res[3].(string)
	switch code {
	case 2:
		return Lease{}, "", fmt.Errorf("%w: the call is held by another device of this user", room.ErrConflict)
	case 3:
		return Lease{}, "", fmt.Errorf("%w: already in call %s", room.ErrBusy, other)
	}
	l, err = parseLease(call, v)
	if err != nil {
		return Lease{}, "", err
	}
	if code == 1 {
		displaced = room.CallID(other)
	}
	return l, displaced, nil
}

// OwnAndClaim implements room.OwnClaimer: Own and ClaimMember for a new
// call's creator in one Redis round trip. A call held by another node is
// room.ErrElsewhere, as for Own.
func (n *Node) OwnAndClaim(call room.CallID, u room.UserID, dev room.DeviceID) (room.CallID, error) {
	n.mu.Lock()
	frozen := n.frozen
	n.mu.Unlock()
	if frozen {
		return "", fmt.Errorf("%w: node %s is shutting down", room.ErrUnavailable, n.s.NodeID())
	}
	start := time.Now()
	l, displaced, err := n.s.AcquireClaim(context.Background(), call, u, dev)
	if errors.Is(err, ErrHeld) {
		return "", fmt.Errorf("%w: %v", room.ErrElsewhere, err)
	}
	if err != nil {
		return "", err
	}
	n.mu.Lock()
	n.leases[call] = l
	n.until[call] = n.validUntil(start)
	n.mu.Unlock()
	return displaced, nil
}
