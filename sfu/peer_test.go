package sfu

import (
	"bytes"
	"errors"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestPeerCloseLeavesNoGoroutines proves that closing Peers (and the
// clients) ends every goroutine they started: the count returns to its
// baseline after a call with simulcast video and audio flowing both ways,
// whether the clients leave first or the server closes the Peers first.
func TestPeerCloseLeavesNoGoroutines(t *testing.T) {
	for _, peersFirst := range []bool{false, true} {
		name := "clients first"
		if peersFirst {
			name = "peers first"
		}
		t.Run(name, func(t *testing.T) { testNoLeak(t, peersFirst) })
	}
}

func testNoLeak(t *testing.T, peersFirst bool) {
	env := newTestEnv(t)
	baseline := runtime.NumGoroutine()

	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	ca, _, upA := env.publishVideo(alice, 10*time.Millisecond, "q", "h", "f")
	cb, upsB := env.publishMany(bob, 1)
	subA := env.newSubscriber(alice, false)
	subB := env.newSubscriber(bob, false)
	if _, err := bob.Subscribe(upA, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, u := range upsB {
		if _, err := alice.Subscribe(u, "bob"); err != nil {
			t.Fatal(err)
		}
	}
	rt := subB.nextTrack(t)
	waitFor(t, waitTimeout, "media to bob", func() bool { return rt.count() > 10 })
	for range upsB {
		rt := subA.nextTrack(t)
		waitFor(t, waitTimeout, "media to alice", func() bool { return rt.count() > 3 })
	}

	closeClients := func() {
		for _, c := range []*client{ca, cb, subA.client, subB.client} {
			c.close()
		}
	}
	if !peersFirst {
		closeClients()
	}
	for _, p := range []*testPeer{alice, bob} {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	if peersFirst {
		closeClients()
	}
	if _, err := bob.Subscribe(upA, "alice"); !errors.Is(err, ErrClosed) && !errors.Is(err, ErrTrackEnded) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("%d goroutines after close, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEarlyCandidatesAreBuffered proves that client candidates that
// overtake the offer are kept and applied once the offer is set: the
// server's selected pair uses the trickled host candidate rather than a
// peer-reflexive one learned from connectivity checks.
func TestEarlyCandidatesAreBuffered(t *testing.T) {
	env := newTestEnv(t)
	alice := env.newPeer("alice")
	c := env.newClient()
	pt := c.addVideo()
	cands := make(chan *webrtc.ICECandidate, 16)
	c.pc.OnICECandidate(func(ic *webrtc.ICECandidate) { cands <- ic })
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	// Trickle everything before the offer reaches the server.
	for ic := range cands {
		if ic == nil {
			break
		}
		init := ic.ToJSON()
		if err := alice.AddICECandidate(TargetPublisher, &init); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.AddICECandidate(TargetPublisher, nil); err != nil {
		t.Fatalf("end of candidates: %v", err)
	}
	answer, err := alice.Publish(offer.SDP, []TrackSpec{{Mid: pt.mid(), Source: SourceCamera}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	pt.start(10 * time.Millisecond)
	alice.nextUpTrack(t)

	var remoteTypes []webrtc.ICECandidateType
	for _, s := range alice.pub.GetStats() {
		if cs, ok := s.(webrtc.ICECandidateStats); ok && cs.Type == webrtc.StatsTypeRemoteCandidate {
			remoteTypes = append(remoteTypes, cs.CandidateType)
		}
	}
	hasHost := false
	for _, ct := range remoteTypes {
		hasHost = hasHost || ct == webrtc.ICECandidateTypeHost
	}
	if !hasHost {
		t.Fatalf("server has no trickled host candidate; remote candidates %v", remoteTypes)
	}
}

// TestPeerArgumentErrors covers the errors of the Peer's methods.
func TestPeerArgumentErrors(t *testing.T) {
	env := newTestEnv(t)
	p := env.newPeer("p")
	cand := &webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host"}
	if err := p.AddICECandidate("sideways", cand); !errors.Is(err, ErrInvalidTarget) {
		t.Fatalf("bad target: %v", err)
	}
	for i := 0; i < maxEarlyCandidates; i++ {
		if err := p.AddICECandidate(TargetSubscriber, cand); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.AddICECandidate(TargetSubscriber, cand); !errors.Is(err, ErrTooManyCandidates) {
		t.Fatalf("candidate flood: %v", err)
	}
	if _, err := p.Publish("not sdp", nil); !errors.Is(err, ErrInvalidSDP) {
		t.Fatalf("bad sdp: %v", err)
	}
	c := env.newClient()
	c.addVideo()
	c.addAudio()
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, specs := range [][]TrackSpec{
		{{Mid: "0", Source: "webcam"}},
		{{Mid: "7", Source: SourceCamera}},
		{{Mid: "0", Source: SourceMicrophone}},
		{{Mid: "1", Source: SourceScreen}},
	} {
		if _, err := p.Publish(offer.SDP, specs); !errors.Is(err, ErrInvalidTrackSpec) {
			t.Fatalf("specs %+v: %v", specs, err)
		}
	}
	if err := p.SetQuality("TR_x", QualityHigh); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("SetQuality unknown: %v", err)
	}
	if _, err := p.Subscribe(nil, "x"); err == nil {
		t.Fatal("Subscribe(nil) succeeded")
	}
	if _, err := NewPeer(PeerConfig{}); !errors.Is(err, ErrNoAPI) {
		t.Fatalf("NewPeer without API: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.AddICECandidate(TargetPublisher, cand); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := p.Publish(offer.SDP, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after close: %v", err)
	}
	if err := p.SetSubscriberAnswer("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetSubscriberAnswer after close: %v", err)
	}
	p.Unsubscribe("TR_x")
}
