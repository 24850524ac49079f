package room

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/sfu"
)

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	// Notifier receives every event. Required.
	Notifier Notifier
	// Clock drives ring timers. Default: the wall clock.
	Clock Clock
	// Defaults is the call config used for fields a request omits.
	// Default: every policy false.
	Defaults Config
	// Observer, if set, is told about call lifecycle changes (webhooks,
	// metrics). Its methods must not block.
	Observer Observer
	// History, if set, is told every fact call history keeps
	// (history.go). Its methods must not block.
	History History
	// MediaAPI, when set, gives every member a pair of PeerConnections
	// (package sfu) built from it; nil runs signaling only, and media
	// requests fail with ErrUnavailable.
	MediaAPI *webrtc.API
	// PeerConfig is a template for members' sfu.PeerConfig (bitrate hints,
	// gather timeout); its API, logger and callbacks are set per member.
	PeerConfig sfu.PeerConfig
	// Logger is the parent logger. Default: a disabled logger.
	Logger zerolog.Logger
	// Index, Ownership and Deadlines hold what calls share beyond their
	// rooms (cluster_state.go). Default: in memory (one process).
	Index     UserIndex
	Ownership Ownership
	Deadlines Deadlines
	// Persister, if set, stores each call's snapshot after every command
	// that changed it, so another node can take the call over
	// (snapshot.go). Default: none.
	Persister Persister
	// MaxCallSize caps members plus waiting invitees of one call; a
	// request that would pass it is refused with ErrTooLarge and changes
	// nothing. Zero or less means DefaultMaxCallSize.
	MaxCallSize int
	// MaxOutstandingInvites caps the waiting invitations one user has
	// sent, across calls; an invite that would pass it is refused with
	// ErrTooLarge. Zero or less means DefaultMaxOutstandingInvites.
	MaxOutstandingInvites int
	// RemoteDisplace, if set, is called when a user's waiting invitation
	// must be rejected as busy (it created or joined another call) in a
	// call this process has no room for: in a cluster, another node owns
	// it and must be told (its Manager's Displace). It must not call back
	// into the Manager.
	RemoteDisplace func(u UserID, dev DeviceID, call CallID)
	// TokenNames, if set, finds the name a user's own token carries when
	// the user signed in to another process of a cluster (found false
	// when unknown). It is asked on a room loop, at most every
	// nameRecheck per user, for users this process knows no token name
	// of, so it must be quick.
	TokenNames func(u UserID) (name string, found bool)
}

// nameRecheck is how long a user's absence from TokenNames is remembered.
const nameRecheck = 5 * time.Second

// Defaults of the caps in ManagerConfig.
const (
	DefaultMaxCallSize           = 50
	DefaultMaxOutstandingInvites = 100
)

// slot is one user's place in the cross-call index as the Manager's
// request routing reads it (see Slot).
type slot struct {
	call   CallID
	member bool
	device DeviceID
}

// nameEntry is a user's display name and whether it came from the user's
// own token (which beats names supplied by inviters).
type nameEntry struct {
	name      string
	fromToken bool
	checked   time.Time // when TokenNames last found no name
}

// Manager maps call ids to rooms and enforces the cross-call busy rule.
type Manager struct {
	cfg     ManagerConfig
	log     zerolog.Logger
	closing chan struct{}
	wg      sync.WaitGroup // room loops and posting goroutines

	mu     sync.Mutex
	closed bool                 // guarded by mu
	rooms  map[CallID]*Room     // guarded by mu
	index  UserIndex            // its own locking; called under mu
	names  map[UserID]nameEntry // guarded by mu
	counts counts               // guarded by mu
}

// NewManager returns a Manager ready to use.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	if cfg.Notifier == nil {
		return nil, fmt.Errorf("room: ManagerConfig.Notifier is required: %w", ErrBadRequest)
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.History == nil {
		cfg.History = nopHistory{}
	}
	if cfg.MaxCallSize <= 0 {
		cfg.MaxCallSize = DefaultMaxCallSize
	}
	if cfg.MaxOutstandingInvites <= 0 {
		cfg.MaxOutstandingInvites = DefaultMaxOutstandingInvites
	}
	if cfg.Index == nil {
		cfg.Index = newMemoryIndex()
	}
	if cfg.Ownership == nil {
		cfg.Ownership = localOwnership{}
	}
	if cfg.Deadlines == nil {
		cfg.Deadlines = clockDeadlines{clock: cfg.Clock}
	}
	return &Manager{
		cfg:     cfg,
		log:     cfg.Logger,
		closing: make(chan struct{}),
		rooms:   make(map[CallID]*Room),
		index:   cfg.Index,
		names:   make(map[UserID]nameEntry),
		counts:  counts{sent: make(map[UserID]int)},
	}, nil
}

// Close ends every room without emitting events and waits for every room
// goroutine to exit. It is idempotent.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		m.wg.Wait()
		return
	}
	m.closed = true
	close(m.closing)
	m.mu.Unlock()
	m.wg.Wait()
}

// Calls returns the number of live calls.
func (m *Manager) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

// SetTokenName records the name a user's own token carries; an empty name
// means the user is named by its id.
func (m *Manager) SetTokenName(u UserID, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.names[u] = nameEntry{name: name, fromToken: true}
}

// TokenName returns the name u's own token carried, if a session of u
// signed in here (or a relayed request brought it); ok is false otherwise.
func (m *Manager) TokenName(u UserID) (name string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, found := m.names[u]
	return e.name, found && e.fromToken
}

// suggestName records a name an inviter supplied for a user, unless the
// user's own token named it.
func (m *Manager) suggestName(u UserID, name string) {
	if name == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.names[u]; ok && e.fromToken {
		return
	}
	if _, ok := m.names[u]; !ok && len(m.names) >= maxNames {
		// Bound what inviters can make the server remember: forget some
		// names that only inviters supplied.
		dropped := 0
		for id, e := range m.names {
			if !e.fromToken {
				delete(m.names, id)
				if dropped++; dropped >= maxNames/16 {
					break
				}
			}
		}
	}
	m.names[u] = nameEntry{name: name}
}

// maxNames bounds the display-name directory.
const maxNames = 200000

// user returns u with its current display name.
func (m *Manager) user(u UserID) User {
	m.mu.Lock()
	e := m.names[u]
	m.mu.Unlock()
	if f := m.cfg.TokenNames; f != nil && !e.fromToken && time.Since(e.checked) > nameRecheck {
		if name, found := f(u); found {
			m.mu.Lock()
			if cur := m.names[u]; !cur.fromToken {
				m.names[u] = nameEntry{name: name, fromToken: true}
			}
			e = m.names[u]
			m.mu.Unlock()
		} else {
			m.mu.Lock()
			if cur, ok := m.names[u]; !cur.fromToken && (ok || len(m.names) < maxNames) {
				cur.checked = time.Now()
				m.names[u] = cur
			}
			m.mu.Unlock()
		}
	}
	if e.name == "" {
		return User{ID: u, Name: string(u)}
	}
	return User{ID: u, Name: e.name}
}

// newID returns a random identifier with the given prefix.
func newID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("room: crypto/rand failed: %v", err))
	}
	return prefix + hex.EncodeToString(b[:])
}

// lookup returns a user's slot and the room of that slot.
func (m *Manager) lookup(u UserID) (slot, *Room, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.index.Slot(u)
	if !ok {
		return slot{}, nil, false
	}
	return slot{call: s.Call, member: s.Member, device: s.Device}, m.rooms[s.Call], true
}

// room returns the live room of a call, or nil.
func (m *Manager) room(id CallID) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[id]
}

// reserveRing marks u as ringing in call unless it is busy elsewhere. It
// returns false when u is a member of, or ringing in, another call.
func (m *Manager) reserveRing(u UserID, call CallID) bool {
	ok, err := m.index.ReserveRing(u, call)
	if err != nil {
		// The shared index could not be asked: nobody can tell whether u
		// is free, so u is not rung (reported as busy).
		m.log.Warn().Err(err).Str("user_id", string(u)).Str("call_id", string(call)).Msg("busy index unavailable")
		return false
	}
	return ok
}

// claimMember makes u a member of call on device dev. A waiting invitation
// of u in another call is displaced: its call id is returned so that the
// caller can reject it as busy on u's behalf (PROTOCOL.md §8 rule 7).
func (m *Manager) claimMember(u UserID, call CallID, dev DeviceID) (displaced CallID, err error) {
	return m.index.ClaimMember(u, call, dev)
}

// createRoom registers a new room with its initiator as first member and
// starts its loop. It fails with ErrConflict when the call id is taken and
// ErrBusy when the initiator is a member elsewhere.
func (m *Manager) createRoom(id CallID, c Caller, typ CallType, cfg *ConfigOverride) (*Room, CallID, error) {
	r, displaced, err := m.registerRoom(id, c, typ, cfg)
	if err != nil {
		return nil, "", err
	}
	u := m.user(c.User)
	r.log.Info().Str("user_id", string(c.User)).Str("type", string(typ)).Msg("call started")
	m.cfg.Observer.CallStarted(id, typ, u)
	m.cfg.Observer.MemberJoined(id, u)
	m.cfg.History.CallStarted(id, typ, u, r.startedAt)
	m.cfg.History.MemberJoined(id, u, c.Device, r.startedAt)
	go r.loop()
	return r, displaced, nil
}

// registerRoom does the locked part of createRoom.
func (m *Manager) registerRoom(id CallID, c Caller, typ CallType, cfg *ConfigOverride) (*Room, CallID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, "", ErrUnavailable
	}
	if _, ok := m.rooms[id]; ok {
		return nil, "", fmt.Errorf("%w: call %s is live and you are not in it", ErrConflict, id)
	}
	displaced, err := m.ownAndClaim(id, c)
	if err != nil {
		return nil, "", err
	}
	r := newRoom(m, id, typ, cfg.apply(m.cfg.Defaults), c)
	m.rooms[id] = r
	m.countMembersLocked(r, len(r.members))
	m.wg.Add(1)
	return r, displaced, nil
}

// unregister removes a room that is ending and frees every slot held in it;
// inviters lists, once per invitee still waiting, who rang it, so that
// those invitations stop counting as outstanding. It runs on the room's
// loop before the ending request is answered, so that the call id is free
// again by the time the requester hears of the end.
func (m *Manager) unregister(r *Room, users, inviters []UserID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rooms[r.id] == r {
		m.dropRoomLocked(r)
		m.endShared(r.id, users)
	} else {
		m.index.Release(r.id, users...)
	}
	for _, u := range inviters {
		m.addSent(u, -1)
	}
}

// displaceNow rejects u's waiting invitation in call as busy and waits for
// it. It must not be called from a room loop.
func (m *Manager) displaceNow(u UserID, dev DeviceID, call CallID) {
	if r := m.room(call); r != nil {
		_ = r.run(nil, nil, func() (any, error) { r.displaced(u, dev); return nil, nil })
		return
	}
	if f := m.cfg.RemoteDisplace; f != nil {
		f(u, dev, call)
	}
}

// Displace rejects u's waiting invitation in call, a call of this
// process, as busy on u's behalf because u's device dev created or joined
// another call (relayed from the node where that happened). It must not be
// called from a room loop.
func (m *Manager) Displace(u UserID, dev DeviceID, call CallID) {
	if r := m.room(call); r != nil {
		_ = r.run(nil, nil, func() (any, error) { r.displaced(u, dev); return nil, nil })
	}
}

// displace rejects u's waiting invitation in call as busy, asynchronously
// (for callers on a room loop): the index already moved u elsewhere.
func (m *Manager) displace(u UserID, dev DeviceID, call CallID) {
	r := m.room(call)
	if r == nil {
		if f := m.cfg.RemoteDisplace; f != nil {
			f(u, dev, call)
		}
		return
	}
	r.post(func() { r.displaced(u, dev) })
}

// UserOf returns u with its current display name.
func (m *Manager) UserOf(u UserID) User { return m.user(u) }
