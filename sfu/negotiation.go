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
			if err != nil && p.resendOffer() {
				// The answer was refused before it changed anything: the
				// offer is still outstanding and was sent again.
				continue
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
		p.log.WithLevel(negotiationErrLevel(err)).Err(err).Msg("create subscriber offer")
		return false
	}
	gathered := webrtc.GatheringCompletePromise(p.sub)
	if err := p.sub.SetLocalDescription(offer); err != nil {
		p.log.WithLevel(negotiationErrLevel(err)).Err(err).Msg("set subscriber offer")
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

// applySubscriberAnswer sets the client's answer.
func (p *Peer) applySubscriberAnswer(sdp string) error {
	if ld := p.sub.LocalDescription(); ld != nil {
		if err := checkAnswerMatches(ld.SDP, sdp); err != nil {
			return err
		}
	}
	err := p.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
	if err != nil {
		return fmt.Errorf("%w: subscriber answer: %w", ErrInvalidSDP, err)
	}
	p.remoteApplied(TargetSubscriber)
	return nil
}

// resendOffer handles a refused answer. Pion (v4.2) cannot roll a local
// offer back, so a PC still in have-local-offer keeps its offer: it is
// sent to the client again (the client answers it afresh), and resendOffer
// reports true. An answer that was applied and failed later (the PC left
// have-local-offer) is not retried here: its transports fail and the
// health watch (health.go) reports the Peer lost.
func (p *Peer) resendOffer() bool {
	if p.sub.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return false
	}
	ld := p.sub.LocalDescription()
	if ld == nil {
		return false
	}
	p.log.Debug().Msg("subscriber answer refused; sending the outstanding offer again")
	p.cfg.OnSubscriberOffer(ld.SDP)
	return true
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
