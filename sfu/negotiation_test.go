package sfu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
)

// publishMany publishes n VP8 tracks and one Opus track from one client.
func (e *testEnv) publishMany(pub *testPeer, n int) (*client, []*UpTrack) {
	e.t.Helper()
	c := e.newClient()
	var tracks []*pubTrack
	for i := 0; i < n; i++ {
		tracks = append(tracks, c.addVideo())
	}
	audio := c.addAudio()
	tracks = append(tracks, audio)
	c.publish(pub, func() []TrackSpec {
		specs := []TrackSpec{}
		for i, pt := range tracks {
			src := SourceCamera
			if i == 1 {
				src = SourceScreen
			}
			if pt == audio {
				src = SourceMicrophone
			}
			specs = append(specs, TrackSpec{Mid: pt.mid(), Source: src})
		}
		return specs
	})
	for _, pt := range tracks {
		pt.start(20 * time.Millisecond)
	}
	var ups []*UpTrack
	for range tracks {
		ups = append(ups, pub.nextUpTrack(e.t))
	}
	return c, ups
}

// TestRenegotiationCoalesces proves that the subscriber PC has one offer in
// flight at a time and that any number of changes made while it waits for
// its answer produce exactly one more offer, whose SDP carries every track
// with msid "<streamID> <trackID>".
func TestRenegotiationCoalesces(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, ups := env.publishMany(alice, 3)
	sub := env.newSubscriber(bob, true)

	if _, err := bob.Subscribe(ups[0], "alice"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "first offer", func() bool { return sub.offers.Load() == 1 })
	for _, u := range ups[1:] {
		if _, err := bob.Subscribe(u, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bob.Subscribe(ups[1], "alice"); !errors.Is(err, ErrAlreadySubscribed) {
		t.Fatalf("double Subscribe: %v", err)
	}
	sub.hold <- struct{}{} // answer the first offer
	waitFor(t, waitTimeout, "second offer", func() bool { return sub.offers.Load() == 2 })
	sub.hold <- struct{}{}
	waitFor(t, waitTimeout, "second answer", func() bool { return sub.answerd.Load() == 2 })
	// No third offer follows (bounded check for absence).
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		if sub.offers.Load() != 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := sub.offers.Load(); n != 2 {
		t.Fatalf("%d offers for 4 quick subscriptions, want 2", n)
	}

	// The final SDP lists every track once, with the right msid.
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(sub.pc.RemoteDescription().SDP); err != nil {
		t.Fatal(err)
	}
	msids := map[string]bool{}
	for _, m := range sd.MediaDescriptions {
		if v, ok := m.Attribute("msid"); ok {
			msids[v] = true
		}
	}
	for _, u := range ups {
		if !msids["alice "+u.ID()] {
			t.Fatalf("final subscriber SDP lacks msid alice %s; has %v", u.ID(), msids)
		}
	}
	got := map[string]string{}
	for range ups {
		rt := sub.nextTrack(t)
		got[rt.remote.ID()] = rt.remote.Kind().String()
	}
	for _, u := range ups {
		if got[u.ID()] != u.Kind() {
			t.Fatalf("subscriber got %v, want track %s of kind %s", got, u.ID(), u.Kind())
		}
	}
	if err := bob.SetSubscriberAnswer(sub.pc.LocalDescription().SDP); !errors.Is(err, ErrNoOfferPending) {
		t.Fatalf("answer without offer: %v", err)
	}
}

// TestUnsubscribeAndTrackEnd proves that Unsubscribe stops a track and
// renegotiates it away, and that when a publisher leaves, its tracks end:
// OnUpTrackEnded fires and subscribers drop their DownTracks.
func TestUnsubscribeAndTrackEnd(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, ups := env.publishMany(alice, 1)
	video, audio := ups[0], ups[1]
	if video.Kind() != "video" {
		video, audio = audio, video
	}
	if audio.Source() != SourceMicrophone {
		t.Fatalf("audio source %q", audio.Source())
	}
	sub := env.newSubscriber(bob, false)
	for _, u := range ups {
		if _, err := bob.Subscribe(u, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	rts := map[string]*recvTrack{}
	for range ups {
		rt := sub.nextTrack(t)
		rts[rt.remote.ID()] = rt
	}
	for _, rt := range rts {
		waitFor(t, waitTimeout, "media on "+rt.remote.Kind().String(), func() bool { return rt.count() > 5 })
	}

	bob.Unsubscribe(video.ID())
	bob.Unsubscribe("TR_unknown") // ignored
	waitStopped(t, rts[video.ID()], time.Now(), time.Second)
	waitFor(t, waitTimeout, "renegotiation after unsubscribe", func() bool { return sub.answerd.Load() >= 2 })
	if video.DownTrackCount() != 0 {
		t.Fatal("UpTrack still has the DownTrack")
	}
	if rd := sub.pc.RemoteDescription().SDP; strings.Contains(rd, "msid:alice "+video.ID()) {
		t.Fatalf("unsubscribed track still offered:\n%s", rd)
	}
	if _, ok := bob.DownTrack(video.ID()); ok {
		t.Fatal("DownTrack still registered")
	}

	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	ended := map[string]bool{}
	for range ups {
		select {
		case u := <-alice.ended:
			ended[u.ID()] = true
		case <-time.After(waitTimeout):
			t.Fatal("OnUpTrackEnded not called")
		}
	}
	if !ended[audio.ID()] || !ended[video.ID()] {
		t.Fatalf("ended %v", ended)
	}
	waitFor(t, waitTimeout, "subscriber dropped the audio DownTrack", func() bool {
		_, ok := bob.DownTrack(audio.ID())
		return !ok
	})
	if _, err := bob.Subscribe(audio, "alice"); !errors.Is(err, ErrTrackEnded) {
		t.Fatalf("Subscribe to an ended track: %v", err)
	}
}

// TestOwnTrackRefused proves that a Peer never receives its own track.
func TestOwnTrackRefused(t *testing.T) {
	env := newTestEnv(t)
	alice := env.newPeer("alice")
	_, _, up := env.publishVideo(alice, 20*time.Millisecond)
	if _, err := alice.Subscribe(up, "alice"); !errors.Is(err, ErrOwnTrack) {
		t.Fatalf("Subscribe own track: %v", err)
	}
}
