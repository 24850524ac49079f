package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// Connection health: the Peer watches both PeerConnections and reports,
// once, that its media cannot go on (PeerConfig.OnFailed), so that the app
// can tear it down and let the client start again.
//
//   - failed (ICE consent lost for good, or the DTLS handshake failed) or
//     closed without Close (the client's authenticated DTLS close_notify):
//     lost at once, except that a subscriber PC whose DTLS is up is first
//     given one ICE restart;
//   - disconnected: the subscriber PC, DTLS up, gets a server offer with
//     ICE restart at once; either PC is lost if it has not reconnected
//     after PeerConfig.DisconnectedGrace.
//
// A publisher PC that is disconnected is kept for the grace period: the
// client may restart ICE with a new offer (Publish accepts new ICE
// credentials on the existing PC).

// FailReason says why a Peer gave up its media.
type FailReason string

// Reasons reported to PeerConfig.OnFailed.
const (
	// FailedConnection: a PC went failed, or stayed disconnected past the
	// grace period, or its ICE restart did not reconnect.
	FailedConnection FailReason = "failed"
	// FailedClosed: a PC was closed from the remote side (DTLS
	// close_notify) while the Peer was open.
	FailedClosed FailReason = "closed"
)

// defaultDisconnectedGrace bounds how long a PC may stay disconnected.
const defaultDisconnectedGrace = 8 * time.Second

// watchState handles a connection state change of one PC.
func (p *Peer) watchState(t Target, s webrtc.PeerConnectionState) {
	i := targetIndex(t)
	switch s {
	case webrtc.PeerConnectionStateConnected:
		p.restarted[i].Store(false)
		p.stopLossTimer(i)
	case webrtc.PeerConnectionStateDisconnected:
		if t == TargetSubscriber {
			p.tryICERestart()
		}
		p.startLossTimer(t)
	case webrtc.PeerConnectionStateFailed:
		if t == TargetSubscriber && p.tryICERestart() {
			p.startLossTimer(t)
			return
		}
		p.fail(t, FailedConnection)
	case webrtc.PeerConnectionStateClosed:
		if !p.isClosed() {
			p.fail(t, FailedClosed)
		}
	}
}

// tryICERestart asks for a subscriber offer with ICE restart if DTLS is
// up and none was asked for since the PC was last connected. It reports
// whether a restart was asked for now.
func (p *Peer) tryICERestart() bool {
	if p.isClosed() || !p.subReady.Load() {
		return false
	}
	if p.sub.SCTP().Transport().State() != webrtc.DTLSTransportStateConnected {
		return false
	}
	if p.restarted[targetIndex(TargetSubscriber)].Swap(true) {
		return false
	}
	p.log.Info().Msg("subscriber ice lost; offering an ice restart")
	p.iceRestart.Store(true)
	p.kickNegotiation()
	return true
}

// startLossTimer starts t's grace timer unless it runs: if the PC is not
// connected when it fires, the media is lost.
func (p *Peer) startLossTimer(t Target) {
	i := targetIndex(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.lossTimers[i] != nil {
		return
	}
	p.lossTimers[i] = time.AfterFunc(p.cfg.DisconnectedGrace, func() {
		p.mu.Lock()
		p.lossTimers[i] = nil
		p.mu.Unlock()
		if p.pc(t).ConnectionState() != webrtc.PeerConnectionStateConnected {
			p.fail(t, FailedConnection)
		}
	})
}

// stopLossTimer stops the grace timer of PC i, if it runs.
func (p *Peer) stopLossTimer(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lossTimers[i] != nil {
		p.lossTimers[i].Stop()
		p.lossTimers[i] = nil
	}
}

// stopLossTimersLocked stops every grace timer; the caller holds mu.
func (p *Peer) stopLossTimersLocked() {
	for i, tm := range p.lossTimers {
		if tm != nil {
			tm.Stop()
			p.lossTimers[i] = nil
		}
	}
}

// fail reports the loss of the Peer's media once, unless it is closed.
func (p *Peer) fail(t Target, reason FailReason) {
	if p.isClosed() || p.failed.Swap(true) {
		return
	}
	p.log.Info().Str("pc", string(t)).Str("reason", string(reason)).Msg("media lost")
	p.cfg.OnFailed(t, reason)
}

// Failed reports whether the Peer has reported its media lost.
func (p *Peer) Failed() bool { return p.failed.Load() }
