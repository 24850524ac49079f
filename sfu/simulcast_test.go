package sfu

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSimulcastLayerSwitchKeepsSequence proves that a three-layer
// simulcast track (rids q, h, f) is forwarded one layer at a time, that
// SetQuality moves the subscriber to another layer starting at a keyframe
// of that layer, and that the subscriber's sequence numbers stay contiguous
// and its timestamps increasing across the switches. The publisher answer
// carries the configured x-google bitrates and the client accepts it.
func TestSimulcastLayerSwitchKeepsSequence(t *testing.T) {
	env := newTestEnv(t)
	alice := env.newPeerWith("alice", func(c *PeerConfig) {
		c.PublisherStartBitrate, c.PublisherMinBitrate = 1000, 300
	})
	bob := env.newPeer("bob")
	ca, _, up := env.publishVideo(alice, 10*time.Millisecond, "q", "h", "f")
	if !strings.Contains(ca.pc.RemoteDescription().SDP, "x-google-start-bitrate=1000;x-google-min-bitrate=300") {
		t.Fatal("publisher answer lacks the x-google bitrates")
	}
	if got := up.Layers(); !slices.Equal(got, []string{"q", "h", "f"}) {
		t.Fatalf("Layers() = %v", got)
	}
	waitFor(t, waitTimeout, "all three layers flowing", func() bool {
		return up.activeSlots(up.now()) == 0b111
	})

	sub := env.newSubscriber(bob, false)
	d, err := bob.Subscribe(up, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	lastLayer := func() int {
		p := rt.packets()
		if len(p) == 0 {
			return -1
		}
		l, _, _ := parseVP8Payload(p[len(p)-1].payload)
		return l
	}
	waitFor(t, waitTimeout, "high layer", func() bool { return lastLayer() == 2 })
	if d.Layer() != "f" {
		t.Fatalf("DownTrack.Layer() = %q, want f", d.Layer())
	}

	for _, step := range []struct {
		q     Quality
		layer int
	}{{QualityLow, 0}, {QualityMedium, 1}, {QualityHigh, 2}, {QualityLow, 0}} {
		if err := bob.SetQuality(up.ID(), step.q); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "layer "+string(step.q), func() bool { return lastLayer() == step.layer })
	}
	n := rt.count()
	waitFor(t, waitTimeout, "more packets on the low layer", func() bool { return rt.count() > n+20 })

	pkts := rt.packets()
	switches := 0
	for i := 1; i < len(pkts); i++ {
		prev, cur := pkts[i-1], pkts[i]
		if cur.header.SequenceNumber != prev.header.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, cur.header.SequenceNumber, prev.header.SequenceNumber)
		}
		if int32(cur.header.Timestamp-prev.header.Timestamp) <= 0 {
			t.Fatalf("packet %d: timestamp %d after %d", i, cur.header.Timestamp, prev.header.Timestamp)
		}
		pl, _, _ := parseVP8Payload(prev.payload)
		cl, _, key := parseVP8Payload(cur.payload)
		if pl != cl {
			switches++
			if !key {
				t.Fatalf("packet %d: switch from layer %d to %d not at a keyframe", i, pl, cl)
			}
		}
	}
	if switches != 4 {
		t.Fatalf("saw %d layer switches, want 4", switches)
	}
}

// TestSimulcastStepsDownOnREMB proves that a subscriber whose REMB estimate
// is below the current layer's measured bitrate is moved one layer down,
// and back up when the estimate recovers.
func TestSimulcastStepsDownOnREMB(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, _, up := env.publishVideo(alice, 10*time.Millisecond, "q", "h", "f")
	waitFor(t, waitTimeout, "layer bitrates measured", func() bool {
		return up.layers[0].bitrate.Load() > 0 && up.layers[2].bitrate.Load() > 0
	})
	sub := env.newSubscriber(bob, false)
	d, err := bob.Subscribe(up, "alice")
	if err != nil {
		t.Fatal(err)
	}
	sub.nextTrack(t)
	waitFor(t, waitTimeout, "high layer", func() bool { return d.Layer() == "f" })

	rate := up.layers[2].bitrate.Load()
	remb := func(bps uint64) {
		ssrc := d.bind.Load().ssrc
		sub.sendREMB(ssrc, bps)
	}
	// Well below one layer's bitrate: one step down per REMB.
	remb(rate / 4)
	waitFor(t, 2*time.Second, "step down to h", func() bool { return d.Layer() == "h" })
	remb(rate / 4)
	waitFor(t, 2*time.Second, "step down to q", func() bool { return d.Layer() == "q" })
	// Plenty of bandwidth: back up one layer at a time.
	remb(rate * 10)
	waitFor(t, 2*time.Second, "step up to h", func() bool { return d.Layer() == "h" })
	remb(rate * 10)
	waitFor(t, 2*time.Second, "step up to f", func() bool { return d.Layer() == "f" })
}
