package sfu

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// maxEarlyCandidates bounds the candidates buffered per PC before its
// remote description is set.
const maxEarlyCandidates = 64

// AddICECandidate adds a client candidate to the publisher or subscriber
// PC. Candidates that arrive before that PC's remote description are
// buffered and applied right after it (trickle may overtake the SDP). A nil
// or empty candidate (end of candidates) is accepted and ignored. It never
// blocks on the network.
func (p *Peer) AddICECandidate(t Target, c *webrtc.ICECandidateInit) error {
	if !validTarget(t) {
		return fmt.Errorf("%w: %q", ErrInvalidTarget, string(t))
	}
	if c == nil || c.Candidate == "" {
		return nil
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if pass, held := p.early[targetIndex(t)].Hold(*c); !pass {
		if !held {
			return ErrTooManyCandidates
		}
		return nil
	}
	if err := p.pc(t).AddICECandidate(*c); err != nil {
		return fmt.Errorf("sfu: add %s candidate: %w", t, err)
	}
	return nil
}

// remoteApplied is called once a PC has a remote description: from now on
// candidates go straight to it, and the buffered ones are applied.
func (p *Peer) remoteApplied(t Target) {
	for _, c := range p.early[targetIndex(t)].Open() {
		if err := p.pc(t).AddICECandidate(c); err != nil {
			p.log.Debug().Err(err).Str("pc", string(t)).Msg("early candidate rejected")
		}
	}
}
