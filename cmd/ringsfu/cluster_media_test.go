package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// TestClusterMediaAcrossSignalingNodes: the callee is connected to node B,
// the call is owned by node A; its offer, answer and trickle are relayed to
// A, its PeerConnections connect to A's media, and the caller on A
// receives the audio it publishes.
func TestClusterMediaAcrossSignalingNodes(t *testing.T) {
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	res := inviteAccepted(ctx, t, alice, bob, "voice")
	sa, err := alice.StartMedia(ctx, res.CallID, client.MediaConfig{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	var got atomic.Int64
	sa.OnTrack(func(userID, _ string, tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if userID != "bob" {
			return
		}
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			got.Add(1)
		}
	})
	sb, err := bob.StartMedia(ctx, res.CallID, client.MediaConfig{LoopbackOnly: true, Trickle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Publish(ctx, client.LocalTrack{Track: track, Source: client.SourceMicrophone}); err != nil {
		t.Fatalf("publish through B to A: %v", err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = track.WriteSample(pmedia.Sample{Data: []byte{0xf8, 0xff, 0xfe}, Duration: 20 * time.Millisecond})
			}
		}
	}()
	defer func() { close(stop); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for got.Load() < 25 {
		if time.Now().After(deadline) {
			t.Fatalf("alice received %d RTP packets of bob's audio, want 25", got.Load())
		}
		time.Sleep(20 * time.Millisecond) // polling a counter, with a deadline
	}
	// The owner's heartbeat reports what it forwards (placement input).
	probe, err := cluster.Open(cluster.Config{URL: srv.URL(0), NodeID: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	for {
		live, _, err := probe.Nodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pps := -1.0
		for _, n := range live {
			if n.ID == "A" {
				pps = n.Load.PacketsPerSec
			}
		}
		if pps > 0 {
			t.Logf("node A's heartbeat: %.0f packets/s forwarded", pps)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node A's heartbeat reports %.0f packets/s while forwarding audio", pps)
		}
		time.Sleep(50 * time.Millisecond) // polling the next heartbeat, with a deadline
	}
}
