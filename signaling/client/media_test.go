package client

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"
)

const mediaWait = 10 * time.Second

const fixtures = "../testdata/media/"

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(mediaWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// offlineClient is a Client without a connection, for routing tests.
func offlineClient() *Client {
	return &Client{kinds: signaling.EventKinds(), pending: map[string]chan signaling.Envelope{},
		wake: make(chan struct{}), done: make(chan struct{})}
}

func event(t *testing.T, typ string, data any) signaling.Envelope {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return signaling.Envelope{Type: typ, Data: raw}
}

func TestHookTakesQueuedAndLaterEvents(t *testing.T) {
	c := offlineClient()
	c.route(event(t, signaling.TypeOffer, signaling.SubscriberOffer{CallID: "a", Target: "subscriber", SDP: "1"}))
	c.route(event(t, signaling.TypeOffer, signaling.SubscriberOffer{CallID: "b", Target: "subscriber", SDP: "2"}))
	c.route(event(t, signaling.TypeUserJoined, signaling.UserJoined{CallID: "a"}))
	var got []string
	remove := c.addHook(func(ev Event) bool {
		switch d := ev.Data.(type) {
		case *signaling.SubscriberOffer:
			if d.CallID == "a" {
				got = append(got, d.SDP)
				return true
			}
		case *signaling.TrickleRequest:
			if d.CallID == "a" {
				got = append(got, "trickle")
				return true
			}
		}
		return false
	}, signaling.TypeOffer, signaling.TypeTrickle)
	c.route(event(t, signaling.TypeTrickle, signaling.TrickleRequest{CallID: "a", Target: "subscriber"}))
	c.route(event(t, signaling.TypeOffer, signaling.SubscriberOffer{CallID: "a", SDP: "3"}))
	if want := []string{"1", "trickle", "3"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("hook got %v, want %v", got, want)
	}
	types := func() (out []string) {
		for _, e := range c.Pending() {
			out = append(out, e.Type)
		}
		return out
	}
	if q := types(); len(q) != 2 || q[0] != signaling.TypeOffer || q[1] != signaling.TypeUserJoined {
		t.Fatalf("queue kept %v, want the other call's offer and userJoined", q)
	}
	remove()
	remove()
	c.route(event(t, signaling.TypeOffer, signaling.SubscriberOffer{CallID: "a", SDP: "4"}))
	if len(got) != 3 || len(c.Pending()) != 3 {
		t.Fatalf("removed hook still takes events: got %v, queued %d", got, len(c.Pending()))
	}
}

func TestLoadClips(t *testing.T) {
	for _, tc := range []struct {
		file string
		w, h int
	}{{"vp8-80x60.ivf", 80, 60}, {"vp8-160x120.ivf", 160, 120}, {"vp8-320x240.ivf", 320, 240}} {
		clip, err := LoadIVF(fixtures + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		keys := 0
		for _, f := range clip.Frames {
			if f.Keyframe {
				keys++
			}
			if f.Duration != time.Second/15 {
				t.Fatalf("%s: frame duration %v", tc.file, f.Duration)
			}
		}
		if len(clip.Frames) != 30 || keys != 1 || clip.Width != tc.w || clip.Height != tc.h {
			t.Fatalf("%s: %d frames, %d key frames, %dx%d", tc.file, len(clip.Frames), keys, clip.Width, clip.Height)
		}
		if w, h, ok := VP8FrameSize(clip.Frames[0].Data); !ok || w != tc.w || h != tc.h {
			t.Fatalf("%s: key frame size %dx%d %v", tc.file, w, h, ok)
		}
	}
	clip, err := LoadOgg(fixtures + "opus-440hz.ogg")
	if err != nil {
		t.Fatal(err)
	}
	if len(clip.Frames) < 99 || clip.Frames[1].Duration != 20*time.Millisecond {
		t.Fatalf("ogg: %d packets, duration %v", len(clip.Frames), clip.Frames[1].Duration)
	}
}

func TestOpusDuration(t *testing.T) {
	for _, tc := range []struct {
		pkt  []byte
		want time.Duration
	}{
		{[]byte{0xF8}, 20 * time.Millisecond},       // CELT FB 20 ms, one frame
		{[]byte{0xE0}, 2500 * time.Microsecond},     // CELT FB 2.5 ms
		{[]byte{0x08}, 20 * time.Millisecond},       // SILK NB 20 ms
		{[]byte{0xF9}, 40 * time.Millisecond},       // two frames
		{[]byte{0xFB, 0x03}, 60 * time.Millisecond}, // code 3, three frames
		{[]byte{0x78}, 20 * time.Millisecond},       // hybrid FB 20 ms
		{[]byte{}, 20 * time.Millisecond},           // fallback
		{[]byte{0x1B}, 20 * time.Millisecond},       // code 3 without its count byte: fallback
	} {
		if got := opusDuration(tc.pkt); got != tc.want {
			t.Errorf("opusDuration(% x) = %v, want %v", tc.pkt, opusDuration(tc.pkt), tc.want)
		}
	}
}

// recorder keeps every packet of a received track.
type recorder struct {
	rt    RemoteTrack
	mu    sync.Mutex
	pkts  []rtp.Packet // guarded by mu
	ended bool         // guarded by mu: Read failed
}

func (r *recorder) isEnded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

func (r *recorder) packets() []rtp.Packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rtp.Packet(nil), r.pkts...)
}

// memberTracks collects the tracks a session receives.
type memberTracks struct {
	mu     sync.Mutex
	tracks map[string]*recorder // guarded by mu: by track id
}

func collect(s *Session) *memberTracks {
	m := &memberTracks{tracks: map[string]*recorder{}}
	s.OnRemoteTrack(func(rt RemoteTrack) {
		r := &recorder{rt: rt}
		m.mu.Lock()
		m.tracks[rt.TrackID] = r
		m.mu.Unlock()
		for {
			p, _, err := rt.Track.ReadRTP()
			if err != nil {
				r.mu.Lock()
				r.ended = true
				r.mu.Unlock()
				return
			}
			r.mu.Lock()
			r.pkts = append(r.pkts, *p)
			r.mu.Unlock()
		}
	})
	return m
}

func (m *memberTracks) get(id string) *recorder {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tracks[id]
}

// keyframeSizes lists the sizes of the VP8 key frames received.
func keyframeSizes(r *recorder) [][2]int {
	var out [][2]int
	for _, p := range r.packets() {
		if w, h, ok := VP8KeyframeSize(p.Payload); ok {
			out = append(out, [2]int{w, h})
		}
	}
	return out
}

func TestMediaSessionThroughSFU(t *testing.T) {
	f := newFakeSFU(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	api, err := NewMediaAPI(MediaAPIConfig{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(user string) *Client {
		c, err := Dial(ctx, Config{URL: f.url, Token: user})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	start := func(c *Client, trickle bool) *Session {
		s, err := c.StartMedia(ctx, "c1", MediaConfig{API: api, Trickle: trickle})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	alice, bob := dial("alice"), dial("bob")
	as, bs := start(alice, false), start(bob, true)
	if _, err := alice.StartMedia(ctx, "c1", MediaConfig{API: api}); err == nil {
		t.Fatal("a second session for the same call was accepted")
	}
	aliceRx, bobRx := collect(as), collect(bs)

	// alice: VP8 and Opus from samples.
	vclip, _ := LoadIVF(fixtures + "vp8-160x120.ivf")
	aclip, _ := LoadOgg(fixtures + "opus-440hz.ogg")
	vtrack, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "v", "alice")
	atrack, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "a", "alice")
	vp, ap := NewSamplePlayer(vclip, vtrack), NewSamplePlayer(aclip, atrack)
	defer vp.Stop()
	defer ap.Stop()
	pubs, err := as.Publish(ctx, LocalTrack{Track: vtrack, OnKeyframeRequest: vp.OnKeyframeRequest}, LocalTrack{Track: atrack})
	if err != nil {
		t.Fatal(err)
	}
	if pubs[0].Source != SourceCamera || pubs[1].Source != SourceMicrophone || pubs[0].Mid() == "" {
		t.Fatalf("publications: %+v %+v", pubs[0], pubs[1])
	}
	vp.Start()
	ap.Start()

	// bob: three-layer simulcast from RTP, with trickle.
	var layers []webrtc.TrackLocal
	var players []*Player
	for _, l := range []struct{ rid, file string }{{"q", "vp8-80x60.ivf"}, {"h", "vp8-160x120.ivf"}, {"f", "vp8-320x240.ivf"}} {
		clip, err := LoadIVF(fixtures + l.file)
		if err != nil {
			t.Fatal(err)
		}
		tr, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "sv", "bob", webrtc.WithRTPStreamID(l.rid))
		layers = append(layers, tr)
		p := NewRTPPlayer(clip, tr, nil)
		defer p.Stop()
		players = append(players, p)
	}
	byRID := map[string]*Player{"q": players[0], "h": players[1], "f": players[2]}
	bpubs, err := bs.Publish(ctx, LocalTrack{Track: layers[0], Layers: layers[1:],
		OnKeyframeRequest: func(rid string) { byRID[rid].RequestKeyframe() }})
	if err != nil {
		t.Fatal(err)
	}
	if got := bpubs[0].RIDs; len(got) != 3 || got[0] != "q" || got[2] != "f" {
		t.Fatalf("rids %v", got)
	}
	for _, p := range players {
		p.Start()
	}

	var aliceV, aliceA, bobV string
	waitUntil(t, "published tracks", func() bool {
		aliceV, aliceA, bobV = f.upTrackID("alice", "video"), f.upTrackID("alice", "audio"), f.upTrackID("bob", "video")
		return aliceV != "" && aliceA != "" && bobV != ""
	})
	waitUntil(t, "bob receives alice's tracks", func() bool {
		v, a := bobRx.get(aliceV), bobRx.get(aliceA)
		return v != nil && a != nil && len(keyframeSizes(v)) > 0 && len(a.packets()) > 10
	})
	if r := bobRx.get(aliceV); r.rt.UserID != "alice" || r.rt.Track.Kind() != webrtc.RTPCodecTypeVideo ||
		keyframeSizes(r)[0] != [2]int{160, 120} {
		t.Fatalf("bob's track of alice: user %q kind %v sizes %v", r.rt.UserID, r.rt.Track.Kind(), keyframeSizes(r))
	}
	// The server may start with a lower layer while the top one comes up.
	waitUntil(t, "alice receives bob's top layer", func() bool {
		r := aliceRx.get(bobV)
		if r == nil {
			return false
		}
		sizes := keyframeSizes(r)
		return len(sizes) > 0 && sizes[len(sizes)-1] == [2]int{320, 240}
	})
	if r := aliceRx.get(bobV); r.rt.UserID != "bob" {
		t.Fatalf("alice's track of bob: user %q", r.rt.UserID)
	}
	if got := len(aliceRx.tracks); got != 1 {
		t.Fatalf("alice receives %d tracks, want 1 (never her own)", got)
	}
	if err := as.Subscribe(ctx, bobV, QualityLow); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the low layer", func() bool {
		sizes := keyframeSizes(aliceRx.get(bobV))
		return sizes[len(sizes)-1] == [2]int{80, 60}
	})
	if bs.CandidatesTrickled() == 0 || as.CandidatesTrickled() != 0 {
		t.Fatalf("trickled: bob %d, alice %d", bs.CandidatesTrickled(), as.CandidatesTrickled())
	}
	if as.SubscriberOffers() == 0 || bs.SubscriberOffers() == 0 {
		t.Fatalf("offers answered: alice %d, bob %d", as.SubscriberOffers(), bs.SubscriberOffers())
	}

	// Unpublish ends the track at the subscriber.
	if err := as.Unpublish(ctx, pubs[1]); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "alice's audio to end at bob", bobRx.get(aliceA).isEnded)
	if bobRx.get(aliceV).isEnded() {
		t.Fatal("alice's video ended with her audio")
	}
	if err := as.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := as.Publish(ctx, LocalTrack{Track: atrack}); err != ErrMediaClosed {
		t.Fatalf("publish on a closed session: %v", err)
	}
}
