package cluster

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/ringsfu/ringsfu/room"
)

// Sentinel errors of the cluster store. Errors that mean "Redis could not
// be asked" wrap room.ErrUnavailable, so the signaling layer maps them to
// the wire code `unavailable` without knowing this package.
var (
	// ErrFenced means the writer's lease on the call is no longer the
	// current one: another node took the call over, or the lease expired.
	// The write did not happen; the writer must stop acting for the call.
	ErrFenced = errors.New("cluster: lease lost (fenced)")
	// ErrHeld means another node holds the call's lease.
	ErrHeld = errors.New("cluster: call owned by another node")
)

// fencedReply is the error reply every fenced script returns when the
// lease does not match.
const fencedReply = "FENCED"

// wrap maps a go-redis error to this package's errors: a fenced script
// reply to ErrFenced, anything else (connection refused, timeout, a
// closed client) to room.ErrUnavailable. redis.Nil is returned as is.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return err
	case strings.HasPrefix(err.Error(), fencedReply), strings.HasPrefix(err.Error(), "ERR "+fencedReply):
		return fmt.Errorf("%s: %w", op, ErrFenced)
	}
	return fmt.Errorf("%w: redis %s: %v", room.ErrUnavailable, op, err)
}
