package signaling_test

import (
	"context"
	"crypto/sha256"
	"github.com/rs/zerolog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// Whole-server media harness: a server with a real media engine on
// 127.0.0.1, members with real Pion PeerConnections through
// signaling/client, media played from the fixtures in testdata/media, and
// per-track recorders on the receiving side. Nothing sleeps to
// synchronise: every wait polls a condition against a deadline.

const mediaDir = "testdata/media/"

// mediaWait bounds media waits (ICE + DTLS + first keyframe under -race on
// a busy 2-core machine).
const mediaWait = 10 * time.Second

// newMediaHarness starts a server whose SFU runs on 127.0.0.1.
func newMediaHarness(t *testing.T) *harness {
	t.Helper()
	eng, err := media.New(media.Config{RTCIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the harness: cleanups run last-in first-out, so
	// the engine closes after the server has shut down.
	t.Cleanup(func() { _ = eng.Close() })
	var iceFor func(string, time.Time) []signaling.ICEServer
	if relayMode() {
		iceFor = relayICEServers(t)
	}
	return newHarness(t, func(c *signaling.Config) {
		c.MediaAPI = eng.API()
		if iceFor != nil {
			c.ICEServersFor = iceFor
		}
	})
}

// clips are the decoded fixtures, loaded once.
type clips struct {
	camera, q, h, f, opus *client.Clip
	// frames and packets: the fixtures' frames by hash, to recognise what
	// arrives. layerOf maps a VP8 frame to its simulcast rid.
	frames  map[[32]byte]bool
	packets map[[32]byte]bool
	layerOf map[[32]byte]string
}

var (
	clipsOnce sync.Once
	clipsVal  *clips
	clipsErr  error
)

func loadClips(t *testing.T) *clips {
	t.Helper()
	clipsOnce.Do(func() {
		c := &clips{frames: map[[32]byte]bool{}, packets: map[[32]byte]bool{}, layerOf: map[[32]byte]string{}}
		for _, l := range []struct {
			dst  **client.Clip
			file string
			rid  string
		}{{&c.q, "vp8-80x60.ivf", "q"}, {&c.h, "vp8-160x120.ivf", "h"}, {&c.f, "vp8-320x240.ivf", "f"}} {
			clip, err := client.LoadIVF(mediaDir + l.file)
			if err != nil {
				clipsErr = err
				return
			}
			*l.dst = clip
			for _, f := range clip.Frames {
				c.frames[sha256.Sum256(f.Data)] = true
				c.layerOf[sha256.Sum256(f.Data)] = l.rid
			}
		}
		c.camera = c.h
		if c.opus, clipsErr = client.LoadOgg(mediaDir + "opus-440hz.ogg"); clipsErr != nil {
			return
		}
		for _, f := range c.opus.Frames {
			c.packets[sha256.Sum256(f.Data)] = true
		}
		clipsVal = c
	})
	if clipsErr != nil {
		t.Fatal(clipsErr)
	}
	return clipsVal
}

// clientAPI is the members' Pion API: the client defaults, loopback only,
// and ICE timeouts short enough to see within a test that the server
// closed its side (no more consent responses).
func clientAPI(t *testing.T) *webrtc.API {
	t.Helper()
	api, err := client.NewMediaAPI(client.MediaAPIConfig{
		LoopbackOnly: true,
		Settings: func(se *webrtc.SettingEngine) {
			se.SetICETimeouts(2*time.Second, 3*time.Second, 300*time.Millisecond)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// member is a call member with a media session.
type member struct {
	t    *testing.T
	id   string
	c    *client.Client
	s    *client.Session
	call string

	mu      sync.Mutex
	resetsL []string            // guarded by mu: reasons of media resets
	rx      map[string]*rxTrack // guarded by mu: by track id
	all     []*rxTrack          // guarded by mu: in arrival order
	players []*client.Player    // guarded by mu
}

// close stops the member's players, closes its media session and its
// connection.
func (m *member) close() {
	m.t.Helper()
	m.mu.Lock()
	players := m.players
	m.mu.Unlock()
	for _, p := range players {
		p.Stop()
	}
	if err := m.s.Close(); err != nil {
		m.t.Errorf("%s: close session: %v", m.id, err)
	}
	m.c.Close()
}

func (m *member) addPlayers(ps ...*client.Player) {
	m.mu.Lock()
	m.players = append(m.players, ps...)
	m.mu.Unlock()
	for _, p := range ps {
		m.t.Cleanup(p.Stop)
	}
}

// startMedia starts c's media session in call and records what it
// receives.
func startMedia(t *testing.T, api *webrtc.API, id string, c *client.Client, call string) *member {
	t.Helper()
	return startMediaWith(t, id, c, call, client.MediaConfig{API: api})
}

// startMediaWith is startMedia with a custom configuration.
func startMediaWith(t *testing.T, id string, c *client.Client, call string, cfg client.MediaConfig) *member {
	t.Helper()
	m := &member{t: t, id: id, c: c, call: call, rx: map[string]*rxTrack{}}
	if cfg.ICETransportPolicy == webrtc.ICETransportPolicyAll {
		cfg.ICETransportPolicy = relayPolicy()
	}
	if cfg.OnMediaReset == nil {
		cfg.OnMediaReset = func(reason string) {
			m.mu.Lock()
			m.resetsL = append(m.resetsL, reason)
			m.mu.Unlock()
		}
	}
	if os.Getenv("DBGMEDIA") != "" {
		cfg.Logger = zerolog.New(os.Stderr).With().Str("who", id).Logger()
	}
	s, err := c.StartMedia(ctx(t), call, cfg)
	if err != nil {
		t.Fatalf("%s: StartMedia: %v", id, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	checkRelayPairs(t, id, func() []*webrtc.PeerConnection { return []*webrtc.PeerConnection{s.Publisher(), s.Subscriber()} })
	m.s = s
	s.OnRemoteTrack(func(rt client.RemoteTrack) {
		r := &rxTrack{rt: rt, kind: rt.Track.Kind()}
		m.mu.Lock()
		m.rx[rt.TrackID] = r
		m.all = append(m.all, r)
		m.mu.Unlock()
		r.read()
	})
	return m
}

// resets returns the reasons of the member's media resets so far ("" for
// one its session asked for).
func (m *member) resets() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.resetsL...)
}

// track returns the recorder of a received track, or nil.
func (m *member) track(id string) *rxTrack {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rx[id]
}

// received lists every track received so far.
func (m *member) received() []*rxTrack {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*rxTrack(nil), m.all...)
}

// waitTrack waits until the track has delivered n packets and returns it.
func (m *member) waitTrack(id string, n int) *rxTrack {
	m.t.Helper()
	var r *rxTrack
	poll(m.t, mediaWait, m.id+" receiving track "+id, func() bool {
		r = m.track(id)
		return r != nil && r.count() >= n
	})
	return r
}

// publishAV publishes a VP8 camera track and an Opus microphone track from
// samples and starts playing them.
func (m *member) publishAV() (video, audio *client.Player) {
	m.t.Helper()
	cl := loadClips(m.t)
	vt, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "cam", m.id)
	if err != nil {
		m.t.Fatal(err)
	}
	at, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", m.id)
	if err != nil {
		m.t.Fatal(err)
	}
	video, audio = client.NewSamplePlayer(cl.camera, vt), client.NewSamplePlayer(cl.opus, at)
	m.addPlayers(video, audio)
	if _, err := m.s.Publish(ctx(m.t), client.LocalTrack{Track: vt, Source: client.SourceCamera, OnKeyframeRequest: video.OnKeyframeRequest},
		client.LocalTrack{Track: at, Source: client.SourceMicrophone}); err != nil {
		m.t.Fatalf("%s: publish: %v", m.id, err)
	}
	video.Start()
	audio.Start()
	return video, audio
}

// rxPacket is one received RTP packet.
type rxPacket struct {
	at      time.Time
	seq     uint16
	marker  bool
	payload []byte
}

// rxTrack records a received track.
type rxTrack struct {
	rt   client.RemoteTrack
	kind webrtc.RTPCodecType

	mu    sync.Mutex
	pkts  []rxPacket // guarded by mu
	ended time.Time  // guarded by mu: when Read failed
}

func (r *rxTrack) read() {
	for {
		p, _, err := r.rt.Track.ReadRTP()
		if err != nil {
			r.mu.Lock()
			r.ended = time.Now()
			r.mu.Unlock()
			return
		}
		rp := rxPacket{at: time.Now(), seq: p.SequenceNumber, marker: p.Marker, payload: append([]byte(nil), p.Payload...)}
		r.mu.Lock()
		r.pkts = append(r.pkts, rp)
		r.mu.Unlock()
	}
}

func (r *rxTrack) packets() []rxPacket {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rxPacket(nil), r.pkts...)
}

func (r *rxTrack) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pkts)
}

// last returns the arrival time of the newest packet (zero if none).
func (r *rxTrack) last() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pkts) == 0 {
		return time.Time{}
	}
	return r.pkts[len(r.pkts)-1].at
}

// isEnded reports whether reading the track failed (track removed, or the
// connection closed).
func (r *rxTrack) isEnded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.ended.IsZero()
}

// since returns the packets that arrived after t.
func (r *rxTrack) since(t time.Time) []rxPacket {
	var out []rxPacket
	for _, p := range r.packets() {
		if p.at.After(t) {
			out = append(out, p)
		}
	}
	return out
}

// rxFrame is a VP8 frame reassembled from consecutive packets.
type rxFrame struct {
	data     []byte
	first    int // index of its first packet
	keyframe bool
}

// vp8Frames reassembles the complete VP8 frames of pkts: runs of packets
// with consecutive sequence numbers from a partition start (S=1, PID=0) to
// the marker bit (RFC 7741 §4).
func vp8Frames(pkts []rxPacket) []rxFrame {
	var out []rxFrame
	var cur []byte
	start := -1
	for i, p := range pkts {
		n := client.VP8DescriptorLen(p.payload)
		if n < 0 {
			start = -1
			continue
		}
		if p.payload[0]&0x10 != 0 && p.payload[0]&0x07 == 0 {
			start, cur = i, nil
		} else if start < 0 || p.seq != pkts[i-1].seq+1 {
			start = -1
			continue
		}
		cur = append(cur, p.payload[n:]...)
		if p.marker {
			out = append(out, rxFrame{data: cur, first: start, keyframe: media.IsVP8Keyframe(pkts[start].payload)})
			start = -1
		}
	}
	return out
}

// checkVP8 asserts that at least n complete frames arrived and that every
// one of them is a frame of the fixtures, byte for byte.
func checkVP8(t *testing.T, who string, r *rxTrack, n int) {
	t.Helper()
	cl := loadClips(t)
	frames := vp8Frames(r.packets())
	for _, f := range frames {
		if !cl.frames[sha256.Sum256(f.data)] {
			t.Fatalf("%s: received a VP8 frame (%d bytes) that was never sent", who, len(f.data))
		}
	}
	if len(frames) < n {
		t.Fatalf("%s: %d complete VP8 frames, want at least %d", who, len(frames), n)
	}
}

// checkOpus asserts that at least n packets arrived and that each payload
// is an Opus packet of the fixture, byte for byte.
func checkOpus(t *testing.T, who string, r *rxTrack, n int) {
	t.Helper()
	cl := loadClips(t)
	pkts := r.packets()
	for _, p := range pkts {
		if !cl.packets[sha256.Sum256(p.payload)] {
			t.Fatalf("%s: received an Opus payload (%d bytes) that was never sent", who, len(p.payload))
		}
	}
	if len(pkts) < n {
		t.Fatalf("%s: %d Opus packets, want at least %d", who, len(pkts), n)
	}
}

// poll waits until cond holds, failing the test at the deadline.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mctx is a context bounded by mediaWait.
func mctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), mediaWait)
	t.Cleanup(cancel)
	return c
}

// waitTracks waits for the `tracks` event about user on c whose list
// satisfies ok.
func waitTracks(t *testing.T, c *client.Client, user string, ok func([]signaling.Track) bool) []signaling.Track {
	t.Helper()
	ev, err := c.WaitFor(mctx(t), signaling.TypeTracks, func(e client.Event) bool {
		v, is := e.Data.(*signaling.Tracks)
		return is && v.UserID == user && ok(v.Tracks)
	})
	if err != nil {
		t.Fatalf("waiting for tracks of %s: %v (queued: %v)", user, err, eventTypes(c))
	}
	return ev.Data.(*signaling.Tracks).Tracks
}

// byKind returns the track of a kind in a list.
func byKind(tracks []signaling.Track, kind string) (signaling.Track, bool) {
	for _, tr := range tracks {
		if tr.Kind == kind {
			return tr, true
		}
	}
	return signaling.Track{}, false
}

// avTracks accepts a list of exactly one unmuted camera video and one
// unmuted microphone audio track, without simulcast.
func avTracks(tracks []signaling.Track) bool {
	v, okV := byKind(tracks, "video")
	a, okA := byKind(tracks, "audio")
	return len(tracks) == 2 && okV && okA && v.Source == "camera" && a.Source == "microphone" &&
		!v.Muted && !a.Muted && len(v.Simulcast) == 0 && len(a.Simulcast) == 0 && v.TrackID != "" && a.TrackID != ""
}

// publishedAV publishes audio and video for m and returns the track ids
// the server announced, as seen by observer (m itself if nil).
func publishedAV(t *testing.T, m *member) (video, audio string) {
	t.Helper()
	m.publishAV()
	tracks := waitTracks(t, m.c, m.id, avTracks)
	v, _ := byKind(tracks, "video")
	a, _ := byKind(tracks, "audio")
	return v.TrackID, a.TrackID
}

// assertStopped asserts that r got no packet later than from+limit. It
// observes until clock, a track that keeps flowing on the same
// subscriber connection, has delivered a packet later than from+limit+
// margin: the absence is measured against live media, not a sleep.
func assertStopped(t *testing.T, what string, r, clock *rxTrack, from time.Time, limit time.Duration) {
	t.Helper()
	const margin = 300 * time.Millisecond
	poll(t, mediaWait, what+": live media past the limit", func() bool {
		return clock.last().After(from.Add(limit + margin))
	})
	if last := r.last(); last.After(from.Add(limit)) {
		t.Fatalf("%s: a packet arrived %v after the change (limit %v)", what, last.Sub(from), limit)
	}
}

// userIDs of received tracks, sorted.
func streamUsers(rs []*rxTrack) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.rt.UserID)
	}
	sort.Strings(out)
	return out
}
