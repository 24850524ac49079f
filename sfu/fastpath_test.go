package sfu

import (
	"bytes"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// checkOwnEncryption asserts that d encrypted every packet itself and
// never handed one to Pion's writer: its SSRCs were encrypted by exactly
// one context.
func checkOwnEncryption(t *testing.T, d *DownTrack) {
	t.Helper()
	b := d.bind.Load()
	if b == nil || b.fast == nil || d.fast == nil {
		t.Fatal("the DownTrack does not encrypt itself on the fast path")
	}
	if n := d.pionWrites.Load(); n != 0 {
		t.Fatalf("%d packets went through Pion's writer too: two contexts on one SSRC", n)
	}
}

// TestFastPathPayloadIntegrity runs the payload integrity test over the
// fast path: a real Pion subscriber (with SRTP replay protection) decrypts
// every packet, in sequence, byte for byte, all sent directly.
func TestFastPathPayloadIntegrity(t *testing.T) {
	down, _, _ := testForwardPayloadIntegrity(t, newFastTestEnv(t))
	checkOwnEncryption(t, down)
	if down.up.stats.DownTracksFast.Load() == 0 {
		t.Fatal("the fast DownTrack was not counted")
	}
	if down.fast.direct.Load() == 0 {
		t.Fatal("nothing was sent directly to the pair's address")
	}
}

// TestFastPathNACKRetransmission runs the NACK test over the fast path:
// the retransmission (over RTX) is encrypted by the DownTrack's context.
func TestFastPathNACKRetransmission(t *testing.T) {
	drop := &dropOnce{dropAt: 30}
	down := testNACKRetransmission(t, newFastTestEnv(t, drop), drop)
	checkOwnEncryption(t, down)
}

// TestFastPathFallsBackThroughICE takes the direct address away mid-call,
// as a relay or TCP pair or a pair change would, and gives it back: the
// packets in between go through Pion's ICE connection with the same
// encryption, and the subscriber sees one contiguous, intact stream.
func TestFastPathFallsBackThroughICE(t *testing.T) {
	env := newFastTestEnv(t)
	down, rt, pt := testForwardPayloadIntegrity(t, env)
	checkOwnEncryption(t, down)
	fp := down.fast.peer
	fp.setPair(nil) // no usable pair: Pion's ICE connection
	before := rt.count()
	waitFor(t, waitTimeout, "packets through the ICE connection", func() bool {
		return down.fast.viaICE.Load() >= 30 && rt.count() >= before+30
	})
	pair, err := down.peer.sub.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil {
		t.Fatal(err)
	}
	fp.setPair(pair)
	direct, mid := down.fast.direct.Load(), rt.count()
	waitFor(t, waitTimeout, "direct packets again", func() bool {
		return down.fast.direct.Load() >= direct+30 && rt.count() >= mid+30
	})
	checkOwnEncryption(t, down)
	pkts := rt.packets()
	for i, p := range pkts {
		_, frame, _ := parseVP8Payload(p.payload)
		if want := pt.layers[0].sentPayload(frame); !bytes.Equal(p.payload, want) {
			t.Fatalf("packet %d (frame %d): payload %x, sent %x", i, frame, p.payload, want)
		}
		if i > 0 && p.header.SequenceNumber != pkts[i-1].header.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, p.header.SequenceNumber, pkts[i-1].header.SequenceNumber)
		}
	}
}

// TestFastPathDecidedOnce: a DownTrack that first wrote through Pion's
// writer keeps it even when the fast path appears later (one context per
// SSRC), and one that chose its own encryption keeps it.
func TestFastPathDecidedOnce(t *testing.T) {
	up := newUpTrack(upTrackParams{id: "TR_once", kind: webrtc.RTPCodecTypeVideo, source: SourceCamera, log: zerolog.Nop()})
	p := &Peer{}
	d := newDownTrack(up, p, "x", zerolog.Nop())
	if d.fastFor() != nil {
		t.Fatal("fast path without one on the Peer")
	}
	p.fast.Store(&fastPeer{})
	if d.fastFor() != nil {
		t.Fatal("a DownTrack on Pion's writer switched to its own encryption")
	}
}

// TestFastPathSkippedWhenNotReady: a Peer whose engine has no fast path
// forwards through Pion's writer (the existing tests), and its DownTracks
// say so.
func TestFastPathSkippedWhenNotReady(t *testing.T) {
	env := newTestEnv(t)
	down, _, _ := testForwardPayloadIntegrity(t, env)
	if down.fast != nil || down.pionWrites.Load() == 0 {
		t.Fatalf("fast=%v pion writes=%d", down.fast != nil, down.pionWrites.Load())
	}
}
