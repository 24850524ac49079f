package client

import (
	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"
)

// maxEarlyCandidates bounds the server candidates buffered per PC before
// its remote description is set.
const maxEarlyCandidates = 64

// localCandidate queues one of the session's own candidates (nil: end of
// candidates) for trickle. Pion reports candidates right after
// SetLocalDescription, before the SDP has reached the server (README.md § Testing,
// pitfall 1), so they wait until that SDP has been answered.
func (s *Session) localCandidate(pcs *pcPair, target string, c *signaling.Candidate) {
	if s.isClosed() {
		return
	}
	if pass, _ := pcs.localCands[targetIndex(target)].Hold(c); pass {
		s.enqueue(work{pcs: pcs, out: &signaling.TrickleRequest{CallID: s.callID, Target: target, Candidate: c}})
	}
}

// markTrickleReady is called once an SDP of target has been answered: the
// candidates held back are sent, and later ones go out at once.
func (s *Session) markTrickleReady(pcs *pcPair, target string) {
	for _, c := range pcs.localCands[targetIndex(target)].Open() {
		s.enqueue(work{pcs: pcs, out: &signaling.TrickleRequest{CallID: s.callID, Target: target, Candidate: c}})
	}
}

// sendTrickle sends one own candidate, unless its PeerConnections were
// replaced meanwhile.
func (s *Session) sendTrickle(w work) {
	req := w.out
	if w.pcs != s.cur() {
		return
	}
	if err := s.request(signaling.TypeTrickle, req, nil); err != nil {
		s.log.Debug().Err(err).Str("pc", req.Target).Msg("trickle not sent")
		return
	}
	if req.Candidate != nil {
		s.mu.Lock()
		s.trickled++
		s.mu.Unlock()
	}
}

// handleTrickle applies a server candidate, or buffers it until the remote
// description of its PC is set. End of candidates needs no action.
func (s *Session) handleTrickle(req *signaling.TrickleRequest) {
	if req.Candidate == nil || req.Candidate.Candidate == "" {
		return
	}
	if req.Target != TargetPublisher && req.Target != TargetSubscriber {
		s.log.Debug().Str("target", req.Target).Msg("trickle for an unknown target")
		return
	}
	init := webrtc.ICECandidateInit{
		Candidate:     req.Candidate.Candidate,
		SDPMid:        req.Candidate.SDPMid,
		SDPMLineIndex: req.Candidate.SDPMLineIndex,
	}
	pcs := s.cur()
	if pass, _ := pcs.early[targetIndex(req.Target)].Hold(init); !pass {
		return // held until the remote description is set, or over the bound
	}
	if err := pcs.of(req.Target).AddICECandidate(init); err != nil {
		s.log.Debug().Err(err).Str("pc", req.Target).Msg("server candidate rejected")
	}
}

// remoteApplied is called once target's PC has a remote description: the
// buffered server candidates are applied.
func (s *Session) remoteApplied(pcs *pcPair, target string) {
	for _, c := range pcs.early[targetIndex(target)].Open() {
		if err := pcs.of(target).AddICECandidate(c); err != nil {
			s.log.Debug().Err(err).Str("pc", target).Msg("early server candidate rejected")
		}
	}
}

// of returns the PeerConnection of a target.
func (p *pcPair) of(target string) *webrtc.PeerConnection {
	if target == TargetSubscriber {
		return p.sub
	}
	return p.pub
}
