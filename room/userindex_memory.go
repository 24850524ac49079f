package room

import (
	"fmt"
	"sync"
)

// memoryIndex is the in-memory UserIndex of a single process.
type memoryIndex struct {
	mu    sync.Mutex
	users map[UserID]Slot // guarded by mu
}

// newMemoryIndex returns an empty index.
func newMemoryIndex() *memoryIndex { return &memoryIndex{users: make(map[UserID]Slot)} }

// Slot implements UserIndex.
func (x *memoryIndex) Slot(u UserID) (Slot, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.users[u]
	return s, ok
}

// ReserveRing implements UserIndex.
func (x *memoryIndex) ReserveRing(u UserID, call CallID) (bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if s, ok := x.users[u]; ok {
		return s.Call == call, nil
	}
	x.users[u] = Slot{Call: call}
	return true, nil
}

// ClaimMember implements UserIndex.
func (x *memoryIndex) ClaimMember(u UserID, call CallID, dev DeviceID) (displaced CallID, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.users[u]
	switch {
	case !ok:
	case s.Member && s.Call == call && s.Device == dev:
		return "", nil
	case s.Member && s.Call == call:
		return "", fmt.Errorf("%w: the call is held by another device of this user", ErrConflict)
	case s.Member:
		return "", fmt.Errorf("%w: already in call %s", ErrBusy, s.Call)
	case s.Call != call:
		displaced = s.Call
	}
	x.users[u] = Slot{Call: call, Member: true, Device: dev}
	return displaced, nil
}

// Release implements UserIndex.
func (x *memoryIndex) Release(call CallID, users ...UserID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, u := range users {
		if s, ok := x.users[u]; ok && s.Call == call {
			delete(x.users, u)
		}
	}
}
