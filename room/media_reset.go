package room

import (
	"github.com/ringsfu/ringsfu/sfu"
)

// Media reset (PROTOCOL.md §9 mediaReset): a member's media plane is torn
// down while it stays a member, and started again from scratch — a new
// publisher offer, a fresh subscriber PC. The server does it when a
// member's PeerConnection fails or is closed under it (reason
// "peerFailed", told to the device with a MediaReset event), and when the
// device asks for it (the mediaReset request; no event then).

// Reasons of a MediaReset event.
const (
	// ResetPeerFailed: one of the member's server PeerConnections failed
	// or was closed, so the server dropped the member's media.
	ResetPeerFailed = "peerFailed"
	// ResetOwnerChanged: the call was taken over by another node (cluster
	// mode), whose media plane the member has not joined yet.
	ResetOwnerChanged = "ownerChanged"
)

// MediaReset tells a member's device that the server dropped its media:
// it should close both PeerConnections, forget its remote tracks, publish
// its local tracks again and answer the next subscriber offer.
type MediaReset struct {
	CallID CallID
	Reason string
}

func (MediaReset) roomEvent() {}

// peerFailed handles the Peer's report that its media is lost.
func (r *Room) peerFailed(u UserID, mm *memberMedia, t sfu.Target, why sfu.FailReason) {
	m := r.memberOf(u)
	if m == nil || m.media != mm {
		return // already reset, or the member left
	}
	r.log.Info().Str("user_id", string(u)).Str("pc", string(t)).Str("why", string(why)).Msg("member media lost; resetting")
	r.resetMedia(m)
	r.emit(toMember(m), MediaReset{CallID: r.id, Reason: ResetPeerFailed})
	r.startReceiving(m)
}

// resetMedia drops m's media plane: its Peer closes, its published tracks
// end (every member gets the shortened `tracks` list) and its
// subscriptions go with the Peer. The member stays in the call.
func (r *Room) resetMedia(m *member) {
	if m.media == nil {
		return
	}
	r.closeMedia(m)
	if len(m.tracks) > 0 {
		m.tracks = nil
		r.announceTracks(m)
	}
}

// mediaReset handles a member's mediaReset request: its media is dropped
// and, if another member publishes, a fresh subscriber offer follows the
// result.
func (r *Room) mediaReset(c Caller) (any, error) {
	m, err := r.callerMember(c)
	if err != nil {
		return nil, err
	}
	r.log.Info().Str("user_id", string(m.user)).Msg("member asked for a media reset")
	m.mediaStale = false
	r.resetMedia(m)
	// The fresh subscriber offer goes out after the result: the client
	// voids the offers sent before it.
	r.post(func() { r.startReceiving(m) })
	return struct{}{}, nil
}

// MediaReset handles a mediaReset request.
func (m *Manager) MediaReset(c Caller, id CallID, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.mediaReset(c) })
}

// tellStale sends mediaReset (ownerChanged) to m's device if m has not
// built media on this node since the call was taken over.
func (r *Room) tellStale(m *member) {
	if m.mediaStale {
		r.emit(toMember(m), MediaReset{CallID: r.id, Reason: ResetOwnerChanged})
	}
}
