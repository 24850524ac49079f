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
	i := targetIndex(t)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if !p.remoteSet[i] {
		defer p.mu.Unlock()
		if len(p.early[i]) >= maxEarlyCandidates {
			return ErrTooManyCandidates
		}
		p.early[i] = append(p.early[i], *c)
		return nil
	}
	p.mu.Unlock()
	if err := p.pc(t).AddICECandidate(*c); err != nil {
		return fmt.Errorf("sfu: add %s candidate: %w", t, err)
	}
	return nil
}

// remoteApplied is called once a PC has a remote description: from now on
// candidates go straight to it, and the buffered ones are applied.
func (p *Peer) remoteApplied(t Target) {
	i := targetIndex(t)
	p.mu.Lock()
	if p.remoteSet[i] {
		p.mu.Unlock()
		return
	}
	p.remoteSet[i] = true
	early := p.early[i]
	p.early[i] = nil
	p.mu.Unlock()
	for _, c := range early {
		if err := p.pc(t).AddICECandidate(c); err != nil {
			p.log.Debug().Err(err).Str("pc", string(t)).Msg("early candidate rejected")
		}
	}
}
