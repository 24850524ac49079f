package cluster

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Load is what a node reports about itself in its heartbeat.
type Load struct {
	// CPU is the process's CPU use as a fraction of the machine (0..1).
	CPU float64
	// PacketsPerSec is the RTP packets forwarded per second.
	PacketsPerSec float64
	// Calls is the number of calls this node owns.
	Calls int
	// Draining is true once the node stopped taking new calls (SIGTERM).
	Draining bool
}

// NodeInfo is one node as the registry sees it.
type NodeInfo struct {
	ID   string
	Load Load
	// Age is how long ago, by Redis's clock, the heartbeat was written.
	Age time.Duration
	// Fresh is Age < Config.StaleAfter.
	Fresh bool
}

func (s *Store) nodeKey(id string) string { return s.key("node", id) }
func (s *Store) nodesKey() string         { return s.key("nodes") }

// heartbeatScript: KEYS node, nodes; ARGV id, ttl ms, cpu, pps, calls,
// draining. Returns 1 when the node's key existed before.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local existed = redis.call('EXISTS', KEYS[1])
redis.call('HSET', KEYS[1], 'cpu', ARGV[3], 'pps', ARGV[4], 'calls', ARGV[5], 'draining', ARGV[6], 'at', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return existed
`)

// Heartbeat writes this node's liveness and load; the node calls it every
// NodeTTL/4. A node whose last successful heartbeat is older than
// StaleAfter (by its own clock) takes no new calls (see OwnFresh).
func (s *Store) Heartbeat(ctx context.Context, l Load) error {
	_, err := s.Beat(ctx, l)
	return err
}

// Beat is Heartbeat that also reports whether this node's heartbeat key
// was missing: on the first beat, or when Redis lost it (it restarted
// empty, or this node was cut off for longer than NodeTTL), in which case
// whatever else the node keeps in Redis must be written again.
func (s *Store) Beat(ctx context.Context, l Load) (missing bool, err error) {
	sent := time.Now()
	ctx, cancel := s.op(ctx)
	defer cancel()
	draining := 0
	if l.Draining {
		draining = 1
	}
	existed, err := heartbeatScript.Run(ctx, s.rdb, []string{s.nodeKey(s.cfg.NodeID), s.nodesKey()},
		s.cfg.NodeID, ms(s.cfg.NodeTTL), l.CPU, l.PacketsPerSec, l.Calls, draining).Int()
	if err != nil {
		return false, wrap("heartbeat", err)
	}
	// The heartbeat counts from when it was sent: that is no later than
	// when Redis stamped it.
	s.lastBeat.Store(sent.UnixNano())
	return existed == 0, nil
}

// OwnFresh reports whether this node's last successful heartbeat is
// younger than StaleAfter. It asks nothing of Redis: a node cut off from
// Redis sees itself stale and refuses new calls.
func (s *Store) OwnFresh() bool {
	last := s.lastBeat.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < s.cfg.StaleAfter
}

// nodesScript: KEYS nodes; ARGV prefix. Returns {now, id, cpu, pps,
// calls, draining, at, ...}; a node whose key expired has empty fields.
var nodesScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {tostring(now)}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('HMGET', ARGV[1] .. 'node:' .. id, 'cpu', 'pps', 'calls', 'draining', 'at')
  table.insert(out, id)
  for i = 1, 5 do table.insert(out, v[i] or '') end
end
return out
`)

// Nodes returns the live nodes (heartbeat key present, fresh or not) and
// the ids of registered nodes whose heartbeat key expired: dead, or cut
// off from Redis for longer than NodeTTL. The caller adopts the dead
// nodes' calls (OrphansOf) and then forgets them (ForgetNode).
func (s *Store) Nodes(ctx context.Context) (live []NodeInfo, dead []string, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := nodesScript.Run(ctx, s.rdb, []string{s.nodesKey()}, s.cfg.Prefix).StringSlice()
	if err != nil {
		return nil, nil, wrap("nodes", err)
	}
	now, _ := strconv.ParseInt(res[0], 10, 64)
	for i := 1; i+5 < len(res); i += 6 {
		id, f := res[i], res[i+1:i+6]
		if f[4] == "" {
			dead = append(dead, id)
			continue
		}
		n := NodeInfo{ID: id}
		n.Load.CPU, _ = strconv.ParseFloat(f[0], 64)
		n.Load.PacketsPerSec, _ = strconv.ParseFloat(f[1], 64)
		n.Load.Calls, _ = strconv.Atoi(f[2])
		n.Load.Draining = f[3] == "1"
		at, _ := strconv.ParseInt(f[4], 10, 64)
		n.Age = time.Duration(now-at) * time.Millisecond
		n.Fresh = n.Age < s.cfg.StaleAfter
		live = append(live, n)
	}
	return live, dead, nil
}

// OrphansOf returns the calls a node claimed to own. For a dead node, each
// call whose lease is gone but whose snapshot exists is to be adopted.
func (s *Store) OrphansOf(ctx context.Context, node string) ([]room.CallID, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	ids, err := s.rdb.SMembers(ctx, s.ownedKey(node)).Result()
	if err != nil {
		return nil, wrap("orphans", err)
	}
	out := make([]room.CallID, len(ids))
	for i, id := range ids {
		out[i] = room.CallID(id)
	}
	return out, nil
}

// disownScript: KEYS node, owned; ARGV call. Only a dead node's set is
// changed.
var disownScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
return redis.call('SREM', KEYS[2], ARGV[1])
`)

// Disown removes call from a dead node's owned set, once it was adopted or
// found to need nothing. A live node's set is left alone.
func (s *Store) Disown(ctx context.Context, node string, call room.CallID) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("disown", disownScript.Run(ctx, s.rdb, []string{s.nodeKey(node), s.ownedKey(node)}, string(call)).Err())
}

// forgetScript: KEYS node, owned, nodes; ARGV id.
var forgetScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('SCARD', KEYS[2]) > 0 then return 0 end
return redis.call('SREM', KEYS[3], ARGV[1])
`)

// ForgetNode drops a dead node from the registry once it owns nothing; it
// reports whether it did.
func (s *Store) ForgetNode(ctx context.Context, node string) (bool, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	n, err := forgetScript.Run(ctx, s.rdb, []string{s.nodeKey(node), s.ownedKey(node), s.nodesKey()}, node).Int()
	if err != nil {
		return false, wrap("forget node", err)
	}
	return n == 1, nil
}

// String formats a node for logs.
func (n NodeInfo) String() string {
	return fmt.Sprintf("%s(cpu=%.2f pps=%.0f calls=%d age=%v fresh=%v draining=%v)",
		n.ID, n.Load.CPU, n.Load.PacketsPerSec, n.Load.Calls, n.Age, n.Fresh, n.Load.Draining)
}

// Leave removes this node's heartbeat, so the others see it gone at once
// (it stays in the registry until its calls are adopted).
func (s *Store) Leave(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("leave", s.rdb.Del(ctx, s.nodeKey(s.cfg.NodeID)).Err())
}
