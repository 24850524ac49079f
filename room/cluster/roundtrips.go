package cluster

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// roundTrips is a go-redis hook that counts the commands a Store sends and
// the round trips they take (a pipeline or a MULTI/EXEC transaction is one
// round trip for all its commands), in total and by kind, for the metrics
// and the cost benchmarks. A kind is the command name; a script call is
// "script:" and the script's name (e.g. "script:reserve"), and a pipeline
// "pipeline:" and its command names.
type roundTrips struct {
	scripts  map[string]string // script SHA1 → name
	commands atomic.Uint64
	trips    atomic.Uint64

	mu     sync.Mutex
	byKind map[string]uint64 // guarded by mu
}

func newRoundTrips() *roundTrips {
	scripts := map[string]*redis.Script{
		"reserve":       reserveScript,
		"claim":         claimScript,
		"releaseSlots":  releaseSlotsScript,
		"slot":          slotScript,
		"addDeadline":   addDeadlineScript,
		"doneDeadline":  doneDeadlineScript,
		"claimDue":      claimDueScript,
		"acquire":       acquireScript,
		"renew":         renewScript,
		"renewAll":      renewAllScript,
		"release":       releaseScript,
		"reclaim":       reclaimScript,
		"heartbeat":     heartbeatScript,
		"nodes":         nodesScript,
		"disown":        disownScript,
		"forget":        forgetScript,
		"clearPresence": clearPresenceScript,
		"devices":       devicesScript,
		"sendToDevices": sendToDevicesScript,
		"moveResume":    moveResumeScript,
		"deleteResume":  deleteResumeScript,
		"save":          saveScript,
		"end":           endScript,
		"saveBatch":     saveBatchScript,
		"acquireClaim":  acquireClaimScript,
		"deadlines":     deadlineOpsScript,
		"drop":          dropScript,
		"endResumes":    endResumesScript,
		"keepResume":    keepResumeScript,
		"orphanSlot":    orphanSlotScript,
	}
	r := &roundTrips{scripts: make(map[string]string, len(scripts)), byKind: map[string]uint64{}}
	for name, sc := range scripts {
		r.scripts[sc.Hash()] = name
	}
	return r
}

// DialHook implements redis.Hook.
func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.count(1, r.kind(cmd))
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, 0, len(cmds))
		for _, c := range cmds {
			names = append(names, r.kind(c))
		}
		r.count(uint64(len(cmds)), "pipeline:"+strings.Join(names, ","))
		return next(ctx, cmds)
	}
}

func (r *roundTrips) count(commands uint64, kind string) {
	r.commands.Add(commands)
	r.trips.Add(1)
	r.mu.Lock()
	r.byKind[kind]++
	r.mu.Unlock()
}

// kind names cmd for the by-kind counts.
func (r *roundTrips) kind(cmd redis.Cmder) string {
	name := cmd.Name()
	if name != "evalsha" {
		return name // an EVAL (after NOSCRIPT) counts as "eval"
	}
	args := cmd.Args()
	if len(args) > 1 {
		if sha, ok := args[1].(string); ok {
			if n, ok := r.scripts[sha]; ok {
				return "script:" + n
			}
		}
	}
	return "script"
}

// RoundTrips returns the commands this Store has sent to Redis and the
// round trips they took.
func (s *Store) RoundTrips() (commands, trips uint64) {
	return s.trips.commands.Load(), s.trips.trips.Load()
}

// RoundTripsByKind returns the round trips so far by kind (see
// roundTrips).
func (s *Store) RoundTripsByKind() map[string]uint64 {
	s.trips.mu.Lock()
	defer s.trips.mu.Unlock()
	out := make(map[string]uint64, len(s.trips.byKind))
	for k, v := range s.trips.byKind {
		out[k] = v
	}
	return out
}
