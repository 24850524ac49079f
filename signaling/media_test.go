package signaling_test

import (
	"crypto/sha256"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// Whole-server media tests (PROTOCOL.md §6): real Pion PeerConnections on
// 127.0.0.1 through signaling/client, real VP8 and Opus from the fixtures.

// joinCall makes each user join call (the first creates it and is its
// initiator) and starts its media session.
func joinCall(t *testing.T, h *harness, api *webrtc.API, call string, users ...string) []*member {
	t.Helper()
	var ms []*member
	for _, u := range users {
		c := h.dial(u)
		if _, err := c.Join(ctx(t), signaling.JoinRequest{CallID: call, Type: "video"}); err != nil {
			t.Fatalf("%s joins %s: %v", u, call, err)
		}
		ms = append(ms, startMedia(t, api, u, c, call))
	}
	return ms
}

// TestMediaTwoMembers: invite → accept; each member publishes VP8 + Opus
// and receives the other's two tracks, with the fixtures' bytes, the msid
// stream id naming the publisher, and track ids, kinds and sources as the
// `tracks` events and the CallState announce them. bob trickles his
// candidates (SDPs sent before gathering), alice puts them in her SDPs.
func TestMediaTwoMembers(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	aliceC, bobC := h.dial("alice"), h.dial("bob")
	res := invite(t, aliceC, "video", "bob")
	alice := startMedia(t, api, "alice", aliceC, res.CallID)
	aliceV, aliceA := publishedAV(t, alice)

	waitEvent[signaling.IncomingCall](t, bobC, signaling.TypeIncomingCall)
	st, err := bobC.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	var aliceState *signaling.MemberState
	for i := range st.Members {
		if st.Members[i].User.ID == "alice" {
			aliceState = &st.Members[i]
		}
	}
	if aliceState == nil || !avTracks(aliceState.Tracks) {
		t.Fatalf("bob's CallState lacks alice's tracks: %+v", st.Members)
	}
	if v, _ := byKind(aliceState.Tracks, "video"); v.TrackID != aliceV {
		t.Fatalf("CallState video track %q, tracks event said %q", v.TrackID, aliceV)
	}
	if a, _ := byKind(aliceState.Tracks, "audio"); a.TrackID != aliceA {
		t.Fatalf("CallState audio track %q, tracks event said %q", a.TrackID, aliceA)
	}

	bob := startMediaWith(t, "bob", bobC, res.CallID, client.MediaConfig{API: api, Trickle: true})
	bobV, bobA := publishedAV(t, bob)
	got := waitTracks(t, aliceC, "bob", avTracks)
	if v, _ := byKind(got, "video"); v.TrackID != bobV {
		t.Fatalf("alice's tracks event for bob: %+v, bob saw video %q", got, bobV)
	}

	for _, c := range []struct {
		rx         *member
		from       string
		v, a, ownV string
	}{{bob, "alice", aliceV, aliceA, bobV}, {alice, "bob", bobV, bobA, aliceV}} {
		v := c.rx.waitTrack(c.v, 1)
		a := c.rx.waitTrack(c.a, 1)
		for _, r := range []*rxTrack{v, a} {
			if r.rt.UserID != c.from {
				t.Fatalf("%s: track %s has msid stream id %q, want %q", c.rx.id, r.rt.TrackID, r.rt.UserID, c.from)
			}
		}
		if v.kind != webrtc.RTPCodecTypeVideo || a.kind != webrtc.RTPCodecTypeAudio {
			t.Fatalf("%s: kinds %v/%v", c.rx.id, v.kind, a.kind)
		}
		if mime := v.rt.Track.Codec().MimeType; !strings.EqualFold(mime, webrtc.MimeTypeVP8) {
			t.Fatalf("%s: video codec %s", c.rx.id, mime)
		}
		poll(t, mediaWait, c.rx.id+" receiving frames of "+c.from, func() bool {
			return len(vp8Frames(v.packets())) >= 10 && a.count() >= 25
		})
		checkVP8(t, c.rx.id+" ← "+c.from, v, 10)
		checkOpus(t, c.rx.id+" ← "+c.from, a, 25)
		if frames := vp8Frames(v.packets()); !frames[0].keyframe || frames[0].first != 0 {
			t.Fatalf("%s: the stream of %s does not start with a key frame", c.rx.id, c.from)
		}
		if n := len(c.rx.received()); n != 2 {
			t.Fatalf("%s receives %d tracks, want 2: %v", c.rx.id, n, streamUsers(c.rx.received()))
		}
		if c.rx.track(c.ownV) != nil {
			t.Fatalf("%s receives its own track", c.rx.id)
		}
	}
	if bob.s.CandidatesTrickled() == 0 || alice.s.CandidatesTrickled() != 0 {
		t.Fatalf("trickled candidates: bob %d (want > 0), alice %d (want 0)", bob.s.CandidatesTrickled(), alice.s.CandidatesTrickled())
	}
	// bob learned alice's tracks from the CallState only (§8 rule 12).
	for _, e := range bobC.Pending() {
		if d, ok := e.Data.(*signaling.Tracks); ok && d.UserID == "alice" {
			t.Fatalf("bob got a tracks event for alice's unchanged tracks: %s", e.Raw)
		}
	}
}

// TestMediaFiveMembers: five members each publish VP8 + Opus; each
// receives exactly the eight tracks of the four others and never its own.
func TestMediaFiveMembers(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	users := []string{"u1", "u2", "u3", "u4", "u5"}
	ms := joinCall(t, h, api, "five", users...)
	ids := map[string][2]string{}
	for _, m := range ms {
		v, a := publishedAV(t, m)
		ids[m.id] = [2]string{v, a}
	}
	for _, m := range ms {
		for _, other := range users {
			if other == m.id {
				continue
			}
			for _, id := range ids[other] {
				r := m.waitTrack(id, 5)
				if r.rt.UserID != other {
					t.Fatalf("%s: track %s of %s has stream id %q", m.id, id, other, r.rt.UserID)
				}
			}
		}
	}
	for _, m := range ms {
		rx := m.received()
		if len(rx) != 8 {
			t.Fatalf("%s receives %d tracks, want 8: %v", m.id, len(rx), streamUsers(rx))
		}
		for _, r := range rx {
			if r.rt.UserID == m.id {
				t.Fatalf("%s receives its own track %s", m.id, r.rt.TrackID)
			}
		}
		checkVP8(t, m.id, m.track(ids[otherThan(users, m.id)][0]), 1)
	}
}

func otherThan(users []string, id string) string {
	for _, u := range users {
		if u != id {
			return u
		}
	}
	return ""
}

// TestMediaRemovedMemberStops: after remove, the removed member receives
// nothing within 1 s and the server closes its PeerConnections; the others
// stop receiving its media within 1 s too (both directions).
func TestMediaRemovedMemberStops(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "kick", "alice", "bob", "carol")
	alice, bob, carol := ms[0], ms[1], ms[2]
	ids := map[string][2]string{}
	for _, m := range ms {
		v, a := publishedAV(t, m)
		ids[m.id] = [2]string{v, a}
	}
	bobRx := []*rxTrack{bob.waitTrack(ids["alice"][0], 5), bob.waitTrack(ids["alice"][1], 5),
		bob.waitTrack(ids["carol"][0], 5), bob.waitTrack(ids["carol"][1], 5)}
	aliceOfBob := alice.waitTrack(ids["bob"][1], 5)
	carolOfBob := carol.waitTrack(ids["bob"][1], 5)
	// Bob's video too: the end of the test checks it ends at both (a
	// starved run once had not received it yet and read a nil track).
	aliceOfBobV := alice.waitTrack(ids["bob"][0], 1)
	carolOfBobV := carol.waitTrack(ids["bob"][0], 1)

	from := time.Now()
	mustOK(t, alice.c.Remove(ctx(t), "kick", "bob"))
	waitEvent[signaling.Removed](t, bob.c, signaling.TypeRemoved)

	// The server closes bob's side: his tracks end (DTLS close), and ICE
	// consent stops, so both his PeerConnections leave "connected".
	poll(t, mediaWait, "bob's received tracks to end", func() bool {
		for _, r := range bobRx {
			if !r.isEnded() {
				return false
			}
		}
		return true
	})
	for _, r := range bobRx {
		if last := r.last(); last.After(from.Add(time.Second)) {
			t.Fatalf("bob received %s of %s %v after his removal", r.kind, r.rt.UserID, last.Sub(from))
		}
	}
	poll(t, mediaWait, "bob's PeerConnections to lose the server", func() bool {
		return !connected(bob.s.Publisher()) && !connected(bob.s.Subscriber())
	})

	// alice and carol: bob's audio stops; their tracks of each other flow on.
	assertStopped(t, "alice ← bob", aliceOfBob, alice.track(ids["carol"][1]), from, time.Second)
	assertStopped(t, "carol ← bob", carolOfBob, carol.track(ids["alice"][1]), from, time.Second)
	poll(t, mediaWait, "bob's tracks to be removed at alice and carol", func() bool {
		return aliceOfBobV.isEnded() && aliceOfBob.isEnded() &&
			carolOfBobV.isEnded() && carolOfBob.isEnded()
	})
}

func connected(pc *webrtc.PeerConnection) bool {
	return pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

// TestMediaOtherCallIsolated: members of two calls receive only their own
// call's media, and a track of the other call is not_found.
func TestMediaOtherCallIsolated(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	one := joinCall(t, h, api, "one", "alice", "bob")
	two := joinCall(t, h, api, "two", "carol", "dave")
	for _, m := range append(one, two...) {
		m.publishAV()
	}
	aliceTracks := waitTracks(t, one[0].c, "alice", avTracks)
	daveTracks := waitTracks(t, two[0].c, "dave", avTracks)
	aliceV, _ := byKind(aliceTracks, "video")
	daveV, _ := byKind(daveTracks, "video")
	carol := two[0]
	carol.waitTrack(daveV.TrackID, 10)
	one[1].waitTrack(aliceV.TrackID, 10)
	// bob has received alice's media meanwhile: the other call's tracks
	// were live all along; carol must have none of them.
	for _, r := range carol.received() {
		if r.rt.UserID != "dave" {
			t.Fatalf("carol receives a track of %q", r.rt.UserID)
		}
	}
	if n := len(carol.received()); n != 2 {
		t.Fatalf("carol receives %d tracks, want dave's 2", n)
	}
	wantCode(t, carol.s.Subscribe(ctx(t), aliceV.TrackID, client.QualityLow), "not_found")
}

// TestMediaSimulcastSwitch: a three-layer simulcast publisher; the
// subscriber gets the top layer by default, and each `subscribe` layer
// switch delivers the new layer starting with one of its key frames.
func TestMediaSimulcastSwitch(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "sim", "alice", "bob")
	alice, bob := ms[0], ms[1]
	alice.publishSimulcast()
	tracks := waitTracks(t, alice.c, "alice", func(ts []signaling.Track) bool {
		return len(ts) == 1 && strings.Join(ts[0].Simulcast, ",") == "q,h,f"
	})
	id := tracks[0].TrackID
	r := bob.waitTrack(id, 1)
	poll(t, mediaWait, "the top layer by default", func() bool { return lastLayer(t, r) == "f" })

	for _, step := range []struct{ quality, rid string }{{client.QualityLow, "q"}, {client.QualityMedium, "h"}, {client.QualityHigh, "f"}} {
		before := r.count()
		from := time.Now()
		mustOK(t, bob.s.Subscribe(ctx(t), id, step.quality))
		poll(t, mediaWait, "layer "+step.rid, func() bool { return lastLayer(t, r) == step.rid })
		frames := vp8Frames(r.packets()[before:])
		first := -1
		for i, f := range frames {
			if layerOf(t, f) == step.rid {
				first = i
				break
			}
		}
		if first < 0 || !frames[first].keyframe {
			t.Fatalf("switch to %s: the first frame of the new layer is not a key frame", step.rid)
		}
		for _, f := range frames[first:] {
			if l := layerOf(t, f); l != step.rid {
				t.Fatalf("switch to %s: a frame of layer %s followed", step.rid, l)
			}
		}
		took := r.packets()[before+frames[first].first].at.Sub(from)
		if took > 2*time.Second {
			t.Fatalf("switch to %s took %v", step.rid, took)
		}
		t.Logf("switch to %s: first key frame of the layer after %v", step.rid, took)
	}
}

// layerOf names the simulcast layer a frame belongs to.
func layerOf(t *testing.T, f rxFrame) string {
	t.Helper()
	return loadClips(t).layerOf[sha256.Sum256(f.data)]
}

// lastLayer names the layer of the newest complete frame.
func lastLayer(t *testing.T, r *rxTrack) string {
	frames := vp8Frames(r.packets())
	if len(frames) == 0 {
		return ""
	}
	return layerOf(t, frames[len(frames)-1])
}

// TestMediaCameraOffOn: setDevice camera off stops video forwarding
// within 1 s and flips the track's muted flag; camera on resumes it,
// starting with a key frame.
func TestMediaCameraOffOn(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "cam", "alice", "bob")
	alice, bob := ms[0], ms[1]
	v, a := publishedAV(t, alice)
	video, audio := bob.waitTrack(v, 5), bob.waitTrack(a, 5)

	from := time.Now()
	mustOK(t, alice.c.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: "cam", Camera: client.Bool(false)}))
	waitTracks(t, bob.c, "alice", func(ts []signaling.Track) bool {
		tv, _ := byKind(ts, "video")
		ta, _ := byKind(ts, "audio")
		return tv.Muted && !ta.Muted
	})
	assertStopped(t, "video after camera off", video, audio, from, time.Second)

	before := video.count()
	on := time.Now()
	mustOK(t, alice.c.SetDevice(ctx(t), signaling.SetDeviceRequest{CallID: "cam", Camera: client.Bool(true)}))
	waitTracks(t, bob.c, "alice", func(ts []signaling.Track) bool {
		tv, _ := byKind(ts, "video")
		return !tv.Muted
	})
	poll(t, mediaWait, "video to resume", func() bool { return len(vp8Frames(video.packets()[before:])) >= 3 })
	resumed := video.packets()[before:]
	if !media.IsVP8Keyframe(resumed[0].payload) {
		t.Fatal("video resumed without a key frame")
	}
	took := resumed[0].at.Sub(on)
	if took > 2*time.Second {
		t.Fatalf("video resumed %v after camera on", took)
	}
	t.Logf("camera on: first key frame after %v", took)
	checkVP8(t, "bob ← alice after camera on", video, 3)
}

// TestMediaRemoteMicrophoneOff: the initiator's setRemoteDevice microphone
// off stops the target's audio within 1 s, for every subscriber.
func TestMediaRemoteMicrophoneOff(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "mic", "alice", "bob", "carol")
	alice, bob, carol := ms[0], ms[1], ms[2]
	v, a := publishedAV(t, bob)
	aliceA, aliceV := alice.waitTrack(a, 5), alice.waitTrack(v, 5)
	carolA, carolV := carol.waitTrack(a, 5), carol.waitTrack(v, 5)

	from := time.Now()
	mustOK(t, alice.c.SetRemoteDevice(ctx(t), signaling.SetRemoteDeviceRequest{CallID: "mic", UserID: "bob", Microphone: client.Bool(false)}))
	dc := waitEvent[signaling.DeviceControl](t, bob.c, signaling.TypeDeviceControlled)
	if dc.Microphone == nil || *dc.Microphone || dc.Camera != nil {
		t.Fatalf("deviceControlled: %+v", dc)
	}
	waitTracks(t, carol.c, "bob", func(ts []signaling.Track) bool {
		ta, _ := byKind(ts, "audio")
		tv, _ := byKind(ts, "video")
		return ta.Muted && !tv.Muted
	})
	assertStopped(t, "alice ← bob audio", aliceA, aliceV, from, time.Second)
	assertStopped(t, "carol ← bob audio", carolA, carolV, from, time.Second)
}

// TestMediaSubscribeOff: `subscribe` off pauses one track within 1 s
// (the other flows on); high resumes it from a key frame.
func TestMediaSubscribeOff(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "pause", "alice", "bob")
	alice, bob := ms[0], ms[1]
	v, a := publishedAV(t, alice)
	video, audio := bob.waitTrack(v, 5), bob.waitTrack(a, 5)

	from := time.Now()
	mustOK(t, bob.s.Subscribe(ctx(t), v, client.QualityOff))
	assertStopped(t, "paused video", video, audio, from, time.Second)

	before := video.count()
	mustOK(t, bob.s.Subscribe(ctx(t), v, client.QualityHigh))
	poll(t, mediaWait, "video to resume", func() bool { return video.count() > before })
	if !media.IsVP8Keyframe(video.packets()[before].payload) {
		t.Fatal("video resumed without a key frame")
	}
}

// TestMediaSubscribeErrors: an unknown track id is not_found, one's own
// track bad_request, a malformed one bad_request.
func TestMediaSubscribeErrors(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "errs", "alice", "bob")
	v, _ := publishedAV(t, ms[0])
	wantCode(t, ms[1].s.Subscribe(ctx(t), "no-such-track", client.QualityLow), "not_found")
	wantCode(t, ms[0].s.Subscribe(ctx(t), v, client.QualityLow), "bad_request")
	wantCode(t, ms[1].s.Subscribe(ctx(t), "bad id!", client.QualityLow), "bad_request")
	mustOK(t, ms[1].s.Subscribe(ctx(t), v, client.QualityLow))
}

// TestMediaLeaveClosesPeerConnections: a member who leaves has its
// PeerConnections closed by the server and its tracks removed from the
// others; once everybody has left and closed, the goroutines return to
// the baseline.
func TestMediaLeaveClosesPeerConnections(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	baseline := runtime.NumGoroutine()
	ms := joinCall(t, h, api, "bye", "alice", "bob")
	alice, bob := ms[0], ms[1]
	av, aa := publishedAV(t, alice)
	bv, _ := publishedAV(t, bob)
	bobRx := []*rxTrack{bob.waitTrack(av, 5), bob.waitTrack(aa, 5)}
	aliceOfBob := alice.waitTrack(bv, 5)

	from := time.Now()
	mustOK(t, bob.c.Leave(ctx(t), "bye"))
	poll(t, mediaWait, "bob's tracks to end", func() bool { return bobRx[0].isEnded() && bobRx[1].isEnded() })
	poll(t, mediaWait, "bob's track to be removed at alice", aliceOfBob.isEnded)
	if last := aliceOfBob.last(); last.After(from.Add(time.Second)) {
		t.Fatalf("alice received bob's video %v after he left", last.Sub(from))
	}
	poll(t, mediaWait, "bob's PeerConnections to lose the server", func() bool {
		return !connected(bob.s.Publisher()) && !connected(bob.s.Subscriber())
	})
	mustOK(t, alice.c.Leave(ctx(t), "bye"))
	for _, m := range ms {
		m.close()
	}
	var n int
	deadline := time.Now().Add(mediaWait)
	for {
		n = runtime.NumGoroutine()
		if n <= baseline+goroutineSlack(t) {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, baseline %d:\n%s", n, baseline, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
