package room

import (
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/sfu"
)

// TrackSpec maps a publisher offer's m-line to a source.
type TrackSpec = sfu.TrackSpec

// peerFor returns the caller's media plane in call id, creating it.
func (m *Manager) peerFor(c Caller, id CallID, publishing bool) (*memberMedia, error) {
	var mm *memberMedia
	var ferr error
	for i := 0; i < maxRetries; i++ {
		r := m.room(id)
		if r == nil {
			return nil, notFound("no call %s", id)
		}
		err := r.run(nil, nil, func() (any, error) {
			mm, ferr = r.mediaOf(c, publishing)
			return nil, nil
		})
		if errors.Is(err, errClosed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return mm, ferr
	}
	return nil, fmt.Errorf("%w: call state changed too often", ErrUnavailable)
}

// mediaErr maps sfu errors to room sentinels.
func mediaErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sfu.ErrInvalidSDP), errors.Is(err, sfu.ErrInvalidTrackSpec), errors.Is(err, sfu.ErrInvalidTarget),
		errors.Is(err, sfu.ErrTooManyCandidates), errors.Is(err, sfu.ErrInvalidQuality):
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	case errors.Is(err, sfu.ErrNoOfferPending):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case errors.Is(err, sfu.ErrClosed):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	default:
		return err
	}
}

// Publish answers a member's publisher offer. It blocks the caller (not the
// room) until the answer, with its candidates, is ready.
func (m *Manager) Publish(c Caller, id CallID, sdp string, tracks []TrackSpec) (string, error) {
	mm, err := m.peerFor(c, id, true)
	if err != nil {
		return "", err
	}
	answer, err := mm.peer.Publish(sdp, tracks)
	return answer, mediaErr(err)
}

// Answer applies a member's answer to its subscriber offer.
func (m *Manager) Answer(c Caller, id CallID, sdp string) error {
	mm, err := m.peerFor(c, id, false)
	if err != nil {
		return err
	}
	// Only the offer being answered is cleared: the next one may already
	// be pending (made from changes that arrived meanwhile).
	answered := mm.pendingOffer.Load()
	err = mm.peer.SetSubscriberAnswer(sdp)
	if err == nil {
		mm.pendingOffer.CompareAndSwap(answered, nil)
	}
	return mediaErr(err)
}

// Trickle adds a member's ICE candidate (nil: end of candidates).
func (m *Manager) Trickle(c Caller, id CallID, target string, cand *webrtc.ICECandidateInit) error {
	mm, err := m.peerFor(c, id, false)
	if err != nil {
		return err
	}
	return mediaErr(mm.peer.AddICECandidate(sfu.Target(target), cand))
}

// Subscribe picks a simulcast layer of a track, or pauses it.
func (m *Manager) Subscribe(c Caller, id CallID, track TrackID, quality string, reply Reply) {
	m.inRoom(c, id, reply, func(r *Room) (any, error) { return r.setQuality(c, track, sfu.Quality(quality)) })
}
