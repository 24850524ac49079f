package room

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/sfu"
)

// memberMedia is a member's media plane: its sfu.Peer and the tracks it
// publishes. It is owned by the room loop, except pendingOffer, which the
// peer's callback writes.
type memberMedia struct {
	peer *sfu.Peer
	ups  map[TrackID]*sfu.UpTrack
	// pendingOffer is the last subscriber offer not yet answered, re-sent
	// when the member's device resumes (it may have been lost meanwhile).
	pendingOffer atomic.Pointer[string]
}

// ensureMedia returns m's media plane, creating its Peer and subscribing it
// to every other member's tracks.
func (r *Room) ensureMedia(m *member) (*memberMedia, error) {
	if m.media != nil {
		return m.media, nil
	}
	if r.mgr.cfg.MediaAPI == nil {
		return nil, fmt.Errorf("%w: media is not enabled on this server", ErrUnavailable)
	}
	mm := &memberMedia{ups: make(map[TrackID]*sfu.UpTrack)}
	to := toMember(m)
	user := m.user
	notify := r.mgr.cfg.Notifier
	pc := r.mgr.cfg.PeerConfig
	pc.API = r.mgr.cfg.MediaAPI
	pc.Logger = r.log.With().Str("user_id", string(user)).Logger()
	pc.OnSubscriberOffer = func(sdp string) {
		mm.pendingOffer.Store(&sdp)
		notify.Notify(to, SubscriberOffer{CallID: r.id, SDP: sdp})
	}
	pc.OnCandidate = func(t sfu.Target, c *webrtc.ICECandidateInit) {
		ev := Candidate{CallID: r.id, Target: string(t), End: c == nil}
		if c != nil {
			ev.Candidate, ev.SDPMid, ev.SDPMLineIndex = c.Candidate, c.SDPMid, c.SDPMLineIndex
		}
		notify.Notify(to, ev)
	}
	pc.OnPublisherLayers = func(up *sfu.UpTrack, active []string) {
		notify.Notify(to, PublisherLayers{CallID: r.id, TrackID: TrackID(up.ID()), Mid: up.Mid(), Active: active})
	}
	pc.OnUpTrack = func(up *sfu.UpTrack) { r.post(func() { r.upTrackAdded(user, mm, up) }) }
	pc.OnUpTrackEnded = func(up *sfu.UpTrack) { r.post(func() { r.upTrackEnded(user, mm, up) }) }
	pc.OnFailed = func(t sfu.Target, why sfu.FailReason) { r.post(func() { r.peerFailed(user, mm, t, why) }) }
	peer, err := sfu.NewPeer(pc)
	if err != nil {
		return nil, fmt.Errorf("room: new peer: %w", err)
	}
	mm.peer = peer
	m.media = mm
	for _, o := range r.members {
		if o.media == nil || o == m {
			continue
		}
		for _, up := range o.media.ups {
			r.subscribe(m, o.user, up)
		}
	}
	return mm, nil
}

// startReceiving creates a new member's media plane if another member
// publishes anything.
func (r *Room) startReceiving(m *member) {
	if r.memberOf(m.user) != m || m.media != nil || m.device == ServerDevice {
		return // the API's placeholder device receives nothing
	}
	for _, o := range r.members {
		if o.media != nil && len(o.media.ups) > 0 {
			if _, err := r.ensureMedia(m); err != nil {
				r.log.Warn().Err(err).Msg("media for new member")
			}
			return
		}
	}
}

// subscribe forwards publisher's track up to member m.
func (r *Room) subscribe(m *member, publisher UserID, up *sfu.UpTrack) {
	if m.user == publisher {
		return
	}
	mm, err := r.ensureMedia(m)
	if err != nil {
		return
	}
	if _, err := mm.peer.Subscribe(up, string(publisher)); err != nil && !errors.Is(err, sfu.ErrAlreadySubscribed) {
		r.log.Warn().Err(err).Str("user_id", string(m.user)).Str("track_id", up.ID()).Msg("subscribe")
	}
}

// upTrackAdded records a new published track, applies the publisher's
// device state to it, announces it and forwards it to every other member.
func (r *Room) upTrackAdded(u UserID, mm *memberMedia, up *sfu.UpTrack) {
	m := r.memberOf(u)
	if m == nil || m.media != mm {
		return // the member left meanwhile
	}
	id := TrackID(up.ID())
	mm.ups[id] = up
	layers := up.Layers()
	if layers == nil {
		layers = []string{}
	}
	t := Track{ID: id, Kind: up.Kind(), Source: up.Source(), Simulcast: layers}
	t.Muted = !m.sourceOn(t.Source)
	up.SetMuted(t.Muted)
	m.tracks = append(m.tracks, t)
	r.log.Info().Str("user_id", string(u)).Str("track_id", string(id)).Str("source", t.Source).Msg("track published")
	r.announceTracks(m)
	for _, o := range r.members {
		if o != m {
			r.subscribe(o, u, up)
		}
	}
}

// upTrackEnded forgets a track whose publisher stopped sending it.
func (r *Room) upTrackEnded(u UserID, mm *memberMedia, up *sfu.UpTrack) {
	m := r.memberOf(u)
	if m == nil || m.media != mm {
		return
	}
	id := TrackID(up.ID())
	delete(mm.ups, id)
	for i, t := range m.tracks {
		if t.ID == id {
			m.tracks = append(m.tracks[:i], m.tracks[i+1:]...)
			r.announceTracks(m)
			return
		}
	}
}

// sourceOn reports whether m's device state lets a source be forwarded.
func (m *member) sourceOn(source string) bool {
	switch source {
	case sfu.SourceCamera:
		return m.camera
	case sfu.SourceMicrophone:
		return m.microphone
	}
	return true
}

// applyMute pauses or resumes m's tracks to match its device state and
// announces the track list if a muted flag flipped.
func (r *Room) applyMute(m *member) {
	changed := false
	for i := range m.tracks {
		t := &m.tracks[i]
		muted := !m.sourceOn(t.Source)
		if muted == t.Muted {
			continue
		}
		t.Muted = muted
		changed = true
		if m.media != nil {
			if up := m.media.ups[t.ID]; up != nil {
				up.SetMuted(muted)
			}
		}
	}
	if changed {
		r.announceTracks(m)
	}
}

// announceTracks sends m's full track list to every member.
func (r *Room) announceTracks(m *member) {
	tracks := make([]Track, len(m.tracks))
	copy(tracks, m.tracks)
	r.broadcast(TracksChanged{CallID: r.id, UserID: m.user, Tracks: tracks}, "")
}

// closeMedia stops m's media at once: both PeerConnections close (in the
// background, as closing waits for Pion), so nothing flows either way.
func (r *Room) closeMedia(m *member) {
	mm := m.media
	if mm == nil {
		return
	}
	m.media = nil
	for _, up := range mm.ups {
		up.SetMuted(true)
	}
	r.mgr.wg.Add(1)
	go func() {
		defer r.mgr.wg.Done()
		if err := mm.peer.Close(); err != nil {
			r.log.Debug().Err(err).Msg("close peer")
		}
	}()
}

// closeAllMedia closes every member's media.
func (r *Room) closeAllMedia() {
	for _, m := range r.members {
		r.closeMedia(m)
	}
}

// mediaOf returns the caller's media plane, creating it if needed. A
// publisher offer (publishing) shows that the device builds its media on
// this node, so a call taken over stops telling it mediaReset.
func (r *Room) mediaOf(c Caller, publishing bool) (*memberMedia, error) {
	m, err := r.callerMember(c)
	if err != nil {
		return nil, err
	}
	if publishing {
		m.mediaStale = false
	}
	return r.ensureMedia(m)
}

// setQuality handles a subscribe request.
func (r *Room) setQuality(c Caller, id TrackID, q sfu.Quality) (any, error) {
	m, err := r.callerMember(c)
	if err != nil {
		return nil, err
	}
	for _, t := range m.tracks {
		if t.ID == id {
			return nil, badRequest("track %s is your own", id)
		}
	}
	var owner *member
	var up *sfu.UpTrack
	for _, o := range r.members {
		if o.media != nil && o.media.ups[id] != nil {
			owner, up = o, o.media.ups[id]
		}
	}
	if owner == nil {
		return nil, notFound("no track %s in call %s", id, r.id)
	}
	mm, err := r.ensureMedia(m)
	if err != nil {
		return nil, err
	}
	if err := mm.peer.SetQuality(string(id), q); err != nil {
		if errors.Is(err, sfu.ErrNotSubscribed) {
			r.subscribe(m, owner.user, up)
			err = mm.peer.SetQuality(string(id), q)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
	}
	return struct{}{}, nil
}

// resendOffer re-sends an unanswered subscriber offer to a resumed device.
func (r *Room) resendOffer(m *member) {
	if m.media == nil {
		return
	}
	if sdp := m.media.pendingOffer.Load(); sdp != nil {
		r.emit(toMember(m), SubscriberOffer{CallID: r.id, SDP: *sdp})
	}
}
