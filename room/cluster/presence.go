package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Presence is one connected device of a user and the node its session
// lives on.
type Presence struct {
	Device  string
	Node    string
	Session string
}

func (s *Store) presenceKey(user string) string  { return s.key("presence", user) }
func (s *Store) resumeKey(session string) string { return s.key("resume", session) }

// SetPresence records that user's device is connected to this node with
// session. The entry counts while this node's heartbeat lives.
func (s *Store) SetPresence(ctx context.Context, user, device, session string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.presenceKey(user)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, device, s.cfg.NodeID+"/"+session)
		p.PExpire(ctx, key, s.cfg.GarbageTTL)
		return nil
	})
	return wrap("set presence", err)
}

func (s *Store) nameKey(user string) string { return s.key("name", user) }

// SetName records the name user's own token carries (empty: named by its
// id), so that every node shows it as the node the user signed in to does.
func (s *Store) SetName(ctx context.Context, user, name string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("set name", s.rdb.Set(ctx, s.nameKey(user), name, s.cfg.GarbageTTL).Err())
}

// NameOf returns the name SetName recorded for user; ok is false when
// none is.
func (s *Store) NameOf(ctx context.Context, user string) (name string, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	name, err = s.rdb.Get(ctx, s.nameKey(user)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap("name of", err)
	}
	return name, true, nil
}

// clearPresenceScript: KEYS presence; ARGV device, value or node prefix.
var clearPresenceScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and (v == ARGV[2] or string.sub(ARGV[2], -1) == '/' and string.sub(v, 1, #ARGV[2]) == ARGV[2]) then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`)

// ClearPresence removes user's device entry if it still names this node
// and session (compare-and-delete: a device that moved on to another node
// keeps its newer entry). An empty session matches any session of this
// node.
func (s *Store) ClearPresence(ctx context.Context, user, device, session string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("clear presence", clearPresenceScript.Run(ctx, s.rdb, []string{s.presenceKey(user)},
		device, s.cfg.NodeID+"/"+session).Err())
}

// DeviceNodes returns user's connected devices on live nodes as device →
// node.
func (s *Store) DeviceNodes(ctx context.Context, user string) (map[string]string, error) {
	ps, err := s.DevicesOf(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		out[p.Device] = p.Node
	}
	return out, nil
}

// devicesScript: KEYS presence; ARGV prefix. Returns {device, value, ...}
// for entries whose node's heartbeat key exists, and deletes the others.
var devicesScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local node = string.match(all[i + 1], '^([^/]+)/')
  if node and redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 1 then
    table.insert(out, all[i]); table.insert(out, all[i + 1])
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out
`)

// DevicesOf returns user's connected devices on live nodes. Entries of
// nodes whose heartbeat expired are dropped on the way.
func (s *Store) DevicesOf(ctx context.Context, user string) ([]Presence, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := devicesScript.Run(ctx, s.rdb, []string{s.presenceKey(user)}, s.cfg.Prefix).StringSlice()
	if err != nil {
		return nil, wrap("devices", err)
	}
	out := make([]Presence, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		node, sess, _ := strings.Cut(res[i+1], "/")
		out = append(out, Presence{Device: res[i], Node: node, Session: sess})
	}
	return out, nil
}

// keepResumeScript: KEYS resume; ARGV user, device, claim, node, ttl ms.
// The record's "at" (Redis time, ms) is when the session began: it is set
// once, so that it stays across moves and sign-ins.
var keepResumeScript = redis.NewScript(`
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'device', ARGV[2], 'claim', ARGV[3], 'node', ARGV[4])
redis.call('HSETNX', KEYS[1], 'at', t[1] * 1000 + math.floor(t[2] / 1000))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// KeepResume stores what session needs to resume on any node (whose it
// is, the call its token is restricted to, and this node as its home) with
// lifetime ttl: GarbageTTL while the session is connected, the resume
// grace once it is not.
func (s *Store) KeepResume(ctx context.Context, session, user, device, claim string, ttl time.Duration) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("keep resume", keepResumeScript.Run(ctx, s.rdb, []string{s.resumeKey(session)},
		user, device, claim, s.cfg.NodeID, ms(ttl)).Err())
}

func (s *Store) endedKey(user, device string) string { return s.key("ended", user, device) }

// endResumesScript: KEYS ended; ARGV ttl ms. Marks now (Redis time, ms).
var endResumesScript = redis.NewScript(`
local t = redis.call('TIME')
redis.call('SET', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), 'PX', ARGV[1])
return 1
`)

// EndResumes ends, for resuming, every session of user's device that began
// before now: a node that adopted a call ended the device's membership
// because it did not come back within the grace, so the session it had on
// a node that is gone must not resume (MoveResume refuses it).
func (s *Store) EndResumes(ctx context.Context, user, device string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("end resumes", endResumesScript.Run(ctx, s.rdb, []string{s.endedKey(user, device)}, ms(s.cfg.GarbageTTL)).Err())
}

// ResumeOf returns a session's resume record; the error wraps
// room.ErrNotFound when there is none (never existed, ended, or its grace
// ran out).
func (s *Store) ResumeOf(ctx context.Context, session string) (user, device, claim, node string, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	v, err := s.rdb.HGetAll(ctx, s.resumeKey(session)).Result()
	if err != nil {
		return "", "", "", "", wrap("resume of", err)
	}
	if len(v) == 0 {
		return "", "", "", "", fmt.Errorf("%w: no session %s to resume", room.ErrNotFound, session)
	}
	return v["user"], v["device"], v["claim"], v["node"], nil
}

// moveResumeScript: KEYS resume; ARGV from, to, ttl ms, prefix. A
// session moves only from a node whose heartbeat is gone: a live node
// gives its sessions up itself (signaling's take-over), and a session that
// ended there has no record. A session ended since it began by EndResumes
// (its device's membership ended on the node that adopted its call) loses
// its record instead.
var moveResumeScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'node')
if not cur then return {0, ''} end
local rec = redis.call('HMGET', KEYS[1], 'user', 'device', 'at')
local ended = redis.call('GET', ARGV[4] .. 'ended:' .. rec[1] .. ':' .. rec[2])
if ended and rec[3] and tonumber(ended) >= tonumber(rec[3]) then
  redis.call('DEL', KEYS[1])
  return {0, ''}
end
if cur ~= ARGV[1] then return {0, cur} end
if redis.call('EXISTS', ARGV[4] .. 'node:' .. cur) == 1 then return {0, cur} end
redis.call('HSET', KEYS[1], 'node', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, ARGV[2]}
`)

// ErrMoved means a resume record no longer names the node a mover expected.
var ErrMoved = errors.New("cluster: session moved to another node")

// MoveResume hands a session from node from, which must be gone (its
// heartbeat expired or removed), to this node (compare-and-set), so that of
// two nodes resuming one session only one wins; the loser, or a mover
// whose from-node is alive, gets ErrMoved. The record's lifetime becomes
// ttl.
func (s *Store) MoveResume(ctx context.Context, session, from string, ttl time.Duration) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := moveResumeScript.Run(ctx, s.rdb, []string{s.resumeKey(session)}, from, s.cfg.NodeID, ms(ttl), s.cfg.Prefix).Slice()
	if err != nil {
		return wrap("move resume", err)
	}
	if ok, _ := res[0].(int64); ok != 1 {
		return ErrMoved
	}
	return nil
}

// deleteResumeScript: KEYS resume; ARGV node.
var deleteResumeScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'node') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// DeleteResume removes a session's record if it still names this node.
func (s *Store) DeleteResume(ctx context.Context, session string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	return wrap("delete resume", deleteResumeScript.Run(ctx, s.rdb, []string{s.resumeKey(session)}, s.cfg.NodeID).Err())
}
