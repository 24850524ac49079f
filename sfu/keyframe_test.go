package sfu

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestKeyframeThrottle drives the keyframe request logic on a fake clock:
// PLIs for one layer are never closer than 500 ms, a request inside the
// interval is deferred to its end, a keyframe that arrives first cancels the
// deferred PLI, unanswered requests are retried and eventually dropped.
func TestKeyframeThrottle(t *testing.T) {
	ms := int64(time.Millisecond)
	type step struct {
		at       int64 // ms
		request  bool  // a keyframe request at this time
		keyframe bool  // a keyframe arrives at this time
		wantPLI  bool  // serviceKeyframes at this time sends a PLI
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first request goes out at once", []step{{at: 10, request: true, wantPLI: true}}},
		{"second request inside the interval is deferred", []step{
			{at: 10, request: true, wantPLI: true},
			{at: 100, request: true},
			{at: 509},
			{at: 510, wantPLI: true},
		}},
		{"keyframe satisfies the pending request", []step{
			{at: 10, request: true, wantPLI: true},
			{at: 60, keyframe: true},
			{at: 510},
			{at: 2000},
		}},
		{"request after the keyframe needs a new one", []step{
			{at: 10, request: true, wantPLI: true},
			{at: 60, keyframe: true},
			{at: 100, request: true},
			{at: 510, wantPLI: true},
		}},
		{"keyframe after a deferred request cancels it", []step{
			{at: 10, request: true, wantPLI: true},
			{at: 200, request: true},
			{at: 300, keyframe: true},
			{at: 510},
		}},
		{"unanswered requests are retried every interval", []step{
			{at: 10, request: true, wantPLI: true},
			{at: 400},
			{at: 510, wantPLI: true},
			{at: 900},
			{at: 1010, wantPLI: true},
		}},
		{"unanswered requests give up after 5 s", []step{
			{at: 10, request: true, wantPLI: true},
			{at: 4510, wantPLI: true},
			{at: 5011},
			{at: 6000},
		}},
		{"relayed and own requests share the throttle", []step{
			{at: 10, request: true, wantPLI: true},
			{at: 20, request: true},
			{at: 30, request: true},
			{at: 40, request: true},
			{at: 509},
			{at: 510, wantPLI: true},
			{at: 520},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plis []int64
			var now int64
			u := newUpTrack(upTrackParams{id: "TR_t", kind: webrtc.RTPCodecTypeVideo,
				sendPLI: func(ssrc uint32) {
					if ssrc != 1234 {
						t.Fatalf("PLI for ssrc %d", ssrc)
					}
					plis = append(plis, now)
				}})
			u.layers[0].ssrc.Store(1234)
			u.layers[0].present.Store(true)
			for _, s := range tt.steps {
				now = s.at * ms
				if s.keyframe {
					u.layers[0].lastKeyframe.Store(now)
				}
				if s.request {
					u.layers[0].want.Store(now)
				}
				before := len(plis)
				u.serviceKeyframes(now)
				if got := len(plis) > before; got != s.wantPLI {
					t.Fatalf("at %d ms: PLI sent = %v, want %v", s.at, got, s.wantPLI)
				}
			}
			for i := 1; i < len(plis); i++ {
				if plis[i]-plis[i-1] < pliInterval {
					t.Fatalf("PLIs %v ms apart", (plis[i]-plis[i-1])/ms)
				}
			}
		})
	}
}

func TestKeyframeRequestIgnoredForAudioAndMuted(t *testing.T) {
	audio := newUpTrack(upTrackParams{id: "TR_a", kind: webrtc.RTPCodecTypeAudio})
	audio.requestKeyframe(0)
	if audio.layers[0].want.Load() != 0 {
		t.Fatal("audio track recorded a keyframe request")
	}
	video := newUpTrack(upTrackParams{id: "TR_v", kind: webrtc.RTPCodecTypeVideo})
	video.SetMuted(true)
	video.requestKeyframe(0)
	if video.layers[0].want.Load() != 0 {
		t.Fatal("muted track recorded a keyframe request")
	}
	video.requestKeyframe(5) // out of range: ignored
}

// pliCount returns the PLIs layer 0 of pt received after since.
func pliCountSince(pt *pubTrack, since time.Time) []time.Time {
	var out []time.Time
	for _, at := range pt.layers[0].pliTimes() {
		if !at.Before(since) {
			out = append(out, at)
		}
	}
	return out
}

// TestPLIRelayAndThrottle proves that a subscriber's PLIs reach the
// publisher, and that the server never sends two PLIs for the same layer
// closer than 500 ms even when the subscriber asks every 20 ms.
func TestPLIRelayAndThrottle(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, pt, up := env.publishVideo(alice, 10*time.Millisecond)
	sub := env.newSubscriber(bob, false)
	if _, err := bob.Subscribe(up, "alice"); err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	waitFor(t, waitTimeout, "media at the subscriber", func() bool { return rt.count() > 10 })

	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	for time.Since(start) < 1300*time.Millisecond {
		sub.sendPLI(rt)
		<-tick.C
	}
	tick.Stop()
	waitFor(t, 2*time.Second, "relayed PLIs", func() bool { return len(pliCountSince(pt, start)) >= 3 })

	all := pt.layers[0].pliTimes()
	for i := 1; i < len(all); i++ {
		// 500 ms at the server; allow for scheduling jitter at the receiver.
		if gap := all[i].Sub(all[i-1]); gap < 450*time.Millisecond {
			t.Fatalf("PLIs %d and %d arrived %v apart", i-1, i, gap)
		}
	}
	if n := len(pliCountSince(pt, start)); n > 4 {
		t.Fatalf("%d PLIs in 1.3 s of subscriber PLIs every 20 ms", n)
	}
}

// TestKeyframeOnSubscribe proves that subscribing asks the publisher for a
// keyframe (its only keyframe so far was the very first packet) and that
// the subscriber's stream starts with it, well within a second.
func TestKeyframeOnSubscribe(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, pt, up := env.publishVideo(alice, 10*time.Millisecond)
	// Let the initial keyframe pass; no other keyframe comes unasked.
	waitFor(t, waitTimeout, "publisher streaming", func() bool { return up.layers[0].bytes.Load() > 2000 })
	before := time.Now()
	if len(pliCountSince(pt, time.Time{})) != 0 {
		t.Fatal("PLI before any subscriber")
	}
	sub := env.newSubscriber(bob, false)
	if _, err := bob.Subscribe(up, "alice"); err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	waitFor(t, waitTimeout, "first packet", func() bool { return rt.count() > 0 })
	first := rt.packets()[0]
	if _, _, key := parseVP8Payload(first.payload); !key {
		t.Fatal("subscriber's first packet is not a keyframe")
	}
	plis := pliCountSince(pt, before)
	if len(plis) == 0 {
		t.Fatal("no PLI reached the publisher")
	}
	if d := first.at.Sub(plis[0]); d > time.Second || d < 0 {
		t.Fatalf("first packet %v after the PLI", d)
	}
}

// TestMutePausesAndUnmuteResumes proves that a muted track stops reaching
// the subscriber within a second, that unmuting asks for a keyframe within
// a second, and that the resumed stream starts at that keyframe with the
// next sequence number.
func TestMutePausesAndUnmuteResumes(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, pt, up := env.publishVideo(alice, 10*time.Millisecond)
	sub := env.newSubscriber(bob, false)
	if _, err := bob.Subscribe(up, "alice"); err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	waitFor(t, waitTimeout, "media", func() bool { return rt.count() > 20 })

	up.SetMuted(true)
	if !up.Muted() {
		t.Fatal("Muted() = false after SetMuted(true)")
	}
	mutedAt := time.Now()
	waitStopped(t, rt, mutedAt, time.Second)
	stoppedAt := rt.count()
	last := rt.packets()[stoppedAt-1]

	unmutedAt := time.Now()
	up.SetMuted(false)
	waitFor(t, time.Second, "PLI after unmute", func() bool { return len(pliCountSince(pt, unmutedAt)) > 0 })
	waitFor(t, 2*time.Second, "media after unmute", func() bool { return rt.count() > stoppedAt+5 })
	resumed := rt.packets()[stoppedAt]
	if _, _, key := parseVP8Payload(resumed.payload); !key {
		t.Fatal("stream resumed without a keyframe")
	}
	if resumed.header.SequenceNumber != last.header.SequenceNumber+1 {
		t.Fatalf("resumed at seq %d after %d", resumed.header.SequenceNumber, last.header.SequenceNumber)
	}
	if int32(resumed.header.Timestamp-last.header.Timestamp) < 90000/10 {
		t.Fatalf("timestamp advanced by only %d ticks over a pause", resumed.header.Timestamp-last.header.Timestamp)
	}
}

// waitStopped waits until the subscriber has received nothing for 200 ms,
// which must begin within limit of from.
func waitStopped(t *testing.T, rt *recvTrack, from time.Time, limit time.Duration) {
	t.Helper()
	waitFor(t, limit+2*time.Second, "the stream to stop", func() bool {
		p := rt.packets()
		return len(p) > 0 && time.Since(p[len(p)-1].at) > 200*time.Millisecond
	})
	p := rt.packets()
	if d := p[len(p)-1].at.Sub(from); d > limit {
		t.Fatalf("packets kept arriving %v after the change", d)
	}
}

// TestSetQualityOffStopsFlow proves that "off" stops a track within a
// second and that "high" resumes it at a keyframe, continuing the sequence.
func TestSetQualityOffStopsFlow(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, _, up := env.publishVideo(alice, 10*time.Millisecond)
	sub := env.newSubscriber(bob, false)
	d, err := bob.Subscribe(up, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	waitFor(t, waitTimeout, "media", func() bool { return rt.count() > 20 })

	if err := bob.SetQuality(up.ID(), QualityOff); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, rt, time.Now(), time.Second)
	if d.Layer() != "off" || d.Quality() != QualityOff {
		t.Fatalf("layer %q quality %q after off", d.Layer(), d.Quality())
	}
	n := rt.count()
	last := rt.packets()[n-1]

	// low and medium on a non-simulcast track forward its only layer.
	if err := bob.SetQuality(up.ID(), QualityLow); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "media after resume", func() bool { return rt.count() > n+5 })
	resumed := rt.packets()[n]
	if _, _, key := parseVP8Payload(resumed.payload); !key || resumed.header.SequenceNumber != last.header.SequenceNumber+1 {
		t.Fatalf("resumed key=%v seq %d after %d", key, resumed.header.SequenceNumber, last.header.SequenceNumber)
	}

	if err := bob.SetQuality(up.ID(), "ultra"); err == nil {
		t.Fatal("SetQuality accepted an unknown quality")
	}
	if err := bob.SetQuality("TR_nope", QualityHigh); err == nil {
		t.Fatal("SetQuality accepted an unknown track")
	}
}
