package sfu

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// answerRequest carries a subscriber answer to the negotiation goroutine.
type answerRequest struct {
	sdp   string
	reply chan error // capacity 1
}

// kickNegotiation asks for a subscriber offer. Kicks coalesce.
func (p *Peer) kickNegotiation() {
	select {
	case p.negKick <- struct{}{}:
	default:
	}
}

// negotiationLoop is the subscriber PC's operations queue (JSEP, RFC 8829
// §4.1.8: the server is the only offerer on this PC, so there is no glare).
// At most one offer is in flight; changes made while it waits for the
// answer are collected into exactly one further offer, made as soon as the
// answer has been applied. It exits when the Peer closes.
func (p *Peer) negotiationLoop() {
	var waiting, again bool
	for {
		select {
		case <-p.done:
			return
		case <-p.negKick:
			if waiting {
				again = true
				continue
			}
			waiting = p.offerSubscriber()
		case req := <-p.answers:
			if !waiting {
				req.reply <- ErrNoOfferPending
				continue
			}
			err := p.applySubscriberAnswer(req.sdp)
			req.reply <- err
			if err != nil {
				// The offer was rolled back; offer again, the client may
				// answer a fresh one.
				again = true
			}
			waiting = false
			if again {
				again = false
				waiting = p.offerSubscriber()
			}
		}
	}
}

// offerSubscriber creates and hands out a subscriber offer; it reports
// whether an offer is now waiting for its answer.
func (p *Peer) offerSubscriber() bool {
	var opts *webrtc.OfferOptions
	if p.iceRestart.Swap(false) {
		opts = &webrtc.OfferOptions{ICERestart: true}
	}
	offer, err := p.sub.CreateOffer(opts)
	if err != nil {
		p.log.Error().Err(err).Msg("create subscriber offer")
		return false
	}
	gathered := webrtc.GatheringCompletePromise(p.sub)
	if err := p.sub.SetLocalDescription(offer); err != nil {
		p.log.Error().Err(err).Msg("set subscriber offer")
		return false
	}
	if err := p.waitGathering(gathered, TargetSubscriber); err != nil {
		return false
	}
	sdp := p.sub.LocalDescription().SDP
	p.log.Debug().Str("pc", string(TargetSubscriber)).Str("sdp", sdp).Msg("subscriber offer")
	p.cfg.OnSubscriberOffer(sdp)
	return true
}

// applySubscriberAnswer sets the client's answer; on failure it rolls the
// pending offer back so that a new one can be made.
func (p *Peer) applySubscriberAnswer(sdp string) error {
	err := p.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
	if err != nil {
		if rbErr := p.sub.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}); rbErr != nil {
			p.log.Debug().Err(rbErr).Msg("subscriber rollback")
		}
		return fmt.Errorf("%w: subscriber answer: %w", ErrInvalidSDP, err)
	}
	p.remoteApplied(TargetSubscriber)
	return nil
}

// SetSubscriberAnswer applies the client's answer to the last subscriber
// offer. It waits for the negotiation goroutine to apply it (no network
// wait) and returns ErrNoOfferPending if no offer was outstanding.
func (p *Peer) SetSubscriberAnswer(sdp string) error {
	req := answerRequest{sdp: sdp, reply: make(chan error, 1)}
	select {
	case p.answers <- req:
	case <-p.done:
		return ErrClosed
	}
	select {
	case err := <-req.reply:
		return err
	case <-p.done:
		return ErrClosed
	}
}
