package main

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling/client"
)

// Report is one line of the member's stdout: what it sends and, for every
// track it has received, the counters so far. A line is printed every
// second, and a last one with "final": true when the member ends.
//
//	{"user":"bob","call":"standup","elapsed":3.01,
//	 "sent":[{"source":"camera","frames":90,"keyframes":2,"keyframeRequests":1}, ...],
//	 "tracks":[{"from":"alice","trackID":"TR_x","kind":"video","codec":"video/VP8",
//	            "packets":310,"bytes":281234,"keyframes":2,"width":640,"height":480}, ...]}
type Report struct {
	User string `json:"user"`
	Call string `json:"call"`
	// Elapsed is the time since the member started, in seconds.
	Elapsed float64 `json:"elapsed"`
	// Final marks the last line, always printed; Reason says why the
	// member ended: signal, duration, callEnded, removed, "connection
	// lost" or error (the log on stderr says which).
	Final  bool         `json:"final,omitempty"`
	Reason string       `json:"reason,omitempty"`
	Sent   []SentStats  `json:"sent"`
	Tracks []TrackStats `json:"tracks"`
}

// SentStats counts what one published track played.
type SentStats struct {
	Source           string `json:"source"`
	Frames           uint64 `json:"frames"`
	Keyframes        uint64 `json:"keyframes"`
	KeyframeRequests uint64 `json:"keyframeRequests"`
}

// TrackStats counts what arrived on one received track.
type TrackStats struct {
	// From is the publisher's user id (the msid stream id).
	From    string `json:"from"`
	TrackID string `json:"trackID"`
	Kind    string `json:"kind"`
	Codec   string `json:"codec"`
	// Packets and Bytes count RTP packets and their payload bytes.
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	// Keyframes counts the VP8 key frames whose first packet arrived
	// (distinct RTP timestamps); Width and Height are the last one's size.
	Keyframes uint64 `json:"keyframes"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	// Ended is true once the track stopped (removed by the server, or
	// the session closed).
	Ended bool `json:"ended,omitempty"`
}

// recorder keeps the counters and prints the reports.
type recorder struct {
	call  string
	start time.Time
	out   *json.Encoder

	mu     sync.Mutex
	user   string        // guarded by mu
	sent   []*sentTrack  // guarded by mu
	tracks []*TrackStats // guarded by mu: in arrival order
}

// sentTrack is one published track's player and the keyframe requests the
// server made for it.
type sentTrack struct {
	source           string
	player           *client.Player
	keyframeRequests atomic.Uint64
}

func newRecorder(user, call string) *recorder {
	return &recorder{user: user, call: call, start: time.Now(), out: json.NewEncoder(os.Stdout)}
}

// setUser sets the user id of the reports (the hello's, which a --token
// decides).
func (r *recorder) setUser(id string) {
	r.mu.Lock()
	r.user = id
	r.mu.Unlock()
}

// sending registers a published track.
func (r *recorder) sending(source string, p *client.Player) *sentTrack {
	s := &sentTrack{source: source, player: p}
	r.mu.Lock()
	r.sent = append(r.sent, s)
	r.mu.Unlock()
	return s
}

// read reads a received track until it ends, counting packets, payload
// bytes and (for VP8) key frames. Reading also keeps the track's
// interceptors (NACK, receiver reports) running.
func (r *recorder) read(rt client.RemoteTrack) {
	st := &TrackStats{From: rt.UserID, TrackID: rt.TrackID, Kind: rt.Track.Kind().String(), Codec: rt.Track.Codec().MimeType}
	r.mu.Lock()
	r.tracks = append(r.tracks, st)
	r.mu.Unlock()
	vp8 := strings.EqualFold(st.Codec, webrtc.MimeTypeVP8)
	var lastKey uint32
	haveKey := false
	for {
		pkt, _, err := rt.Track.ReadRTP()
		if err != nil {
			break
		}
		r.mu.Lock()
		st.Packets++
		st.Bytes += uint64(len(pkt.Payload))
		// A key frame's first packet starts with the frame's size; a
		// retransmitted copy has the same timestamp and is not counted
		// twice.
		if w, h, ok := client.VP8KeyframeSize(pkt.Payload); vp8 && ok && (!haveKey || pkt.Timestamp != lastKey) {
			st.Keyframes++
			st.Width, st.Height = w, h
			lastKey, haveKey = pkt.Timestamp, true
		}
		r.mu.Unlock()
	}
	r.mu.Lock()
	st.Ended = true
	r.mu.Unlock()
}

// print writes one Report line.
func (r *recorder) print(final bool, reason string) {
	rep := Report{Call: r.call, Final: final, Reason: reason,
		Elapsed: float64(time.Since(r.start).Milliseconds()) / 1000,
		Sent:    []SentStats{}, Tracks: []TrackStats{}}
	r.mu.Lock()
	rep.User = r.user
	for _, s := range r.sent {
		rep.Sent = append(rep.Sent, SentStats{Source: s.source, Frames: s.player.FramesSent(),
			Keyframes: s.player.KeyframesSent(), KeyframeRequests: s.keyframeRequests.Load()})
	}
	for _, t := range r.tracks {
		rep.Tracks = append(rep.Tracks, *t)
	}
	r.mu.Unlock()
	sort.SliceStable(rep.Tracks, func(i, j int) bool {
		a, b := rep.Tracks[i], rep.Tracks[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.Kind > b.Kind // video before audio
	})
	_ = r.out.Encode(rep) // one line; stdout is unbuffered
}
