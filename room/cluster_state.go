package room

import "time"

// The interfaces below are the state a call shares beyond its own room
// goroutine. With one process (the default) they are kept in memory
// (userindex_memory.go, and the Clock for deadlines); in cluster mode,
// package room/cluster implements them on Redis so that N nodes share
// them. Package room never imports room/cluster: cmd wires it in through
// ManagerConfig.

// Slot is a user's place in the cross-call index: a member of a call on
// one device, or ringing (a waiting invitation) in a call.
type Slot struct {
	Call   CallID
	Member bool
	Device DeviceID
}

// UserIndex is the cross-call rule "one call or ring per user" (busy).
// Each method is atomic on its own: concurrent calls from several rooms
// (or, in a cluster, several nodes) never both get one user. The Manager
// may call Slot and ClaimMember under its own small mutex; implementations
// must not call back into the Manager or a room.
type UserIndex interface {
	// Slot returns u's slot; ok is false when u is free.
	Slot(u UserID) (s Slot, ok bool)
	// ReserveRing marks u as ringing in call unless u is a member of, or
	// ringing in, another call. It reports whether u now belongs to call
	// (a user already in call keeps its slot). An error means the index
	// could not be asked (room.ErrUnavailable).
	ReserveRing(u UserID, call CallID) (bool, error)
	// ClaimMember makes u a member of call on device dev. A waiting
	// invitation of u in another call is displaced and that call
	// returned. It fails with ErrBusy when u is a member of another call
	// and ErrConflict when another device of u holds call.
	ClaimMember(u UserID, call CallID, dev DeviceID) (displaced CallID, err error)
	// Release frees the slots of users that belong to call
	// (compare-and-delete: a slot in another call is kept).
	Release(call CallID, users ...UserID)
}

// Ownership decides which process runs a call's room. In memory every call
// is owned by this process; in a cluster a call is owned by the node that
// holds its lease (room/cluster), and others relay to it.
type Ownership interface {
	// Own is called before a room is created for call in this process; an
	// error refuses the creation (ErrElsewhere: another node owns it;
	// ErrUnavailable: the cluster cannot be asked).
	Own(call CallID) error
	// Disown is called once the call's room ended in this process.
	Disown(call CallID)
	// Valid reports whether this process may still act for call; false
	// (its lease lapsed) makes requests go to the call's current owner.
	Valid(call CallID) bool
}

// Deadlines schedules a call's ring timeouts. In memory it is the Clock; in
// a cluster the deadline is durable, swept by every node, and fires once
// even if this node dies (it then fires on the call's new owner).
type Deadlines interface {
	// Schedule calls fire once, after d, for the deadline what (an
	// invitation id) of call, unless the returned Timer is stopped first.
	// fire may run on any goroutine; it must only post to the room.
	Schedule(call CallID, what string, d time.Duration, fire func()) Timer
}

// localOwnership owns every call: one process is the whole server.
type localOwnership struct{}

func (localOwnership) Own(CallID) error  { return nil }
func (localOwnership) Disown(CallID)     {}
func (localOwnership) Valid(CallID) bool { return true }

// clockDeadlines schedules deadlines on a Clock.
type clockDeadlines struct{ clock Clock }

func (d clockDeadlines) Schedule(_ CallID, _ string, after time.Duration, fire func()) Timer {
	return d.clock.AfterFunc(after, fire)
}

var (
	_ Ownership = localOwnership{}
	_ Deadlines = clockDeadlines{}
	_ UserIndex = (*memoryIndex)(nil)
)
