package client

import (
	"context"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"
)

// Subscriber side: the server offers, the session answers, tracks arrive.

// Qualities a subscriber may ask for (PROTOCOL.md §6 `subscribe`).
const (
	QualityHigh   = "high"   // rid f, the default
	QualityMedium = "medium" // rid h
	QualityLow    = "low"    // rid q
	QualityOff    = "off"    // pause the track
)

// handleOffer answers one server offer for the subscriber PC. A failure is
// logged: the server keeps its offer outstanding until it is answered or
// the member leaves.
func (s *Session) handleOffer(o *signaling.SubscriberOffer) {
	if o.Target != "" && o.Target != TargetSubscriber {
		s.log.Warn().Str("target", o.Target).Msg("offer for an unexpected target")
		return
	}
	pcs := s.cur()
	s.log.Debug().Msg("subscriber offer")
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: o.SDP}
	if err := pcs.sub.SetRemoteDescription(offer); err != nil {
		s.log.Warn().Err(err).Msg("subscriber offer refused")
		return
	}
	s.remoteApplied(pcs, TargetSubscriber)
	answer, err := pcs.sub.CreateAnswer(nil)
	if err != nil {
		s.log.Warn().Err(err).Msg("create subscriber answer")
		return
	}
	sdp, err := s.localDescription(pcs.sub, answer)
	if err != nil {
		s.log.Debug().Err(err).Msg("set subscriber answer")
		return
	}
	req := signaling.AnswerRequest{CallID: s.callID, Target: TargetSubscriber, SDP: sdp}
	if err := s.request(signaling.TypeAnswer, req, nil); err != nil {
		s.log.Warn().Err(err).Msg("answer refused")
		return
	}
	s.mu.Lock()
	s.offers++
	s.mu.Unlock()
	s.markTrickleReady(pcs, TargetSubscriber)
}

// handleTrack is the subscriber PC's OnTrack: it names the track by its
// msid (`<publisher userID> <trackID>`), keeps its RTCP read, and hands it
// to the application.
func (s *Session) handleTrack(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
	rt := RemoteTrack{UserID: tr.StreamID(), TrackID: tr.ID(), Track: tr, Receiver: rcv}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	f := s.onTrack
	if f == nil {
		s.pendingTracks = append(s.pendingTracks, rt)
	} else {
		s.wg.Add(1) // the handler, run on Pion's goroutine below
	}
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		drainRTCP(rcv.Read)
	}()
	if f != nil {
		defer s.wg.Done()
		f(rt)
	}
}

// OnTrack sets the handler of received tracks (replacing any earlier one).
// Tracks received before it was set are handed to it at once, each from a
// goroutine of its own. The handler may block reading the track, and
// should return once a Read fails: when the server removes the track or
// ends the member's media, or the session closes (Close waits for it).
func (s *Session) OnTrack(f func(userID, trackID string, t *webrtc.TrackRemote, r *webrtc.RTPReceiver)) {
	s.OnRemoteTrack(func(rt RemoteTrack) { f(rt.UserID, rt.TrackID, rt.Track, rt.Receiver) })
}

// OnRemoteTrack is OnTrack with the track's details in one value.
func (s *Session) OnRemoteTrack(f func(RemoteTrack)) {
	s.mu.Lock()
	s.onTrack = f
	pending := s.pendingTracks
	s.pendingTracks = nil
	if s.closed {
		pending = nil
	}
	s.wg.Add(len(pending))
	s.mu.Unlock()
	for _, rt := range pending {
		go func() {
			defer s.wg.Done()
			f(rt)
		}()
	}
}

// Subscribe picks the quality of a received track (QualityHigh, QualityMedium,
// QualityLow: simulcast layer f, h or q; QualityOff pauses it). Errors are
// the server's: an unknown track is not_found, one's own bad_request.
func (s *Session) Subscribe(ctx context.Context, trackID, quality string) error {
	ctx, stop := s.bind(ctx)
	defer stop()
	return s.cl.Load().Request(ctx, signaling.TypeSubscribe,
		signaling.SubscribeRequest{CallID: s.callID, TrackID: trackID, Quality: quality}, nil)
}

// drainRTCP reads RTCP until the reader fails, so that interceptors run.
func drainRTCP[T any](read func([]byte) (int, T, error)) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := read(buf); err != nil {
			return
		}
	}
}
