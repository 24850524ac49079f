package sfu

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// UpTrack is one track a publisher sends: a single RTP stream, or up to
// three simulcast layers. Each layer has its own reader goroutine that fans
// packets out to the DownTracks of all subscribers.
type UpTrack struct {
	id     string
	kind   webrtc.RTPCodecType
	source string
	mid    string
	rids   []string // simulcast layers lowest first; nil when not simulcast
	log    zerolog.Logger
	epoch  time.Time // origin of the track's monotonic nanosecond clock

	// publisher is the Peer that publishes the track; nil in benchmarks.
	publisher *Peer
	// sendPLI asks the publisher for a keyframe on one SSRC.
	sendPLI func(ssrc uint32)
	// stats is the publisher's PeerConfig.Stats (never nil).
	stats *Stats
	// onLayers reports the layers some subscriber needs (layers_pause.go);
	// never nil.
	onLayers func(u *UpTrack, active []string)
	// layersDirty is set when a subscriber's wanted layer or the set of
	// subscribers changed, for the control goroutine to re-announce.
	layersDirty atomic.Bool

	// Set once, before OnUpTrack, when the first layer's codec is verified.
	codec        webrtc.RTPCodecParameters
	keyframe     media.KeyframeFunc
	audioLevelID uint8 // publisher session's id for the audio level extension

	muted atomic.Bool

	// downs is the snapshot of DownTracks the readers fan out to. The
	// control side replaces it under mu; readers only Load it.
	downs atomic.Pointer[[]*DownTrack]

	layers [maxLayers]upLayer
	nSlots int // number of layer slots: len(rids), or 1

	kfWake chan struct{} // wakes the control goroutine; capacity 1
	done   chan struct{} // closed when the track has ended

	mu      sync.Mutex
	downSet map[*DownTrack]struct{} // guarded by mu
	readers int                     // guarded by mu: running layer readers
	started bool                    // guarded by mu: codec verified, OnUpTrack called
	ended   bool                    // guarded by mu
}

// upLayer is one simulcast layer (or the only stream) of an UpTrack. Its
// atomics are written by the layer's reader and read by the control side;
// lastPLI and prevBytes belong to the control goroutine.
type upLayer struct {
	rid  string
	rank int

	present      atomic.Bool   // a reader is running
	ssrc         atomic.Uint32 // the layer's media SSRC
	bytes        atomic.Uint64 // bytes received, for the bitrate
	bitrate      atomic.Uint64 // bits per second, measured each second
	lastPacket   atomic.Int64  // track clock, ns
	lastKeyframe atomic.Int64  // track clock, ns
	want         atomic.Int64  // keyframe wanted since (track clock, ns); 0 = no
	latest       atomic.Uint64 // latest packet's timestamp and arrival (packTSArrival)

	lastPLI   int64 // control goroutine: when the last PLI went out
	prevBytes uint64

	ring retransmitRing // video only: the last packets, for NACKs (retransmit.go)
	fan  fanOut         // the reader's fan-out state (fanout.go)
}

// upTrackParams are the fixed properties of a new UpTrack.
type upTrackParams struct {
	id        string
	kind      webrtc.RTPCodecType
	source    string
	mid       string
	rids      []string
	log       zerolog.Logger
	publisher *Peer
	sendPLI   func(ssrc uint32)
	stats     *Stats                            // nil: a private one
	fanOutMin int                               // 0: defaultParallelFanOutMin; negative: never split
	onLayers  func(u *UpTrack, active []string) // nil: ignored
}

func newUpTrack(p upTrackParams) *UpTrack {
	u := &UpTrack{
		id:        p.id,
		kind:      p.kind,
		source:    p.source,
		mid:       p.mid,
		rids:      p.rids,
		log:       p.log.With().Str("track_id", p.id).Logger(),
		epoch:     time.Now(),
		publisher: p.publisher,
		sendPLI:   p.sendPLI,
		stats:     p.stats,
		onLayers:  p.onLayers,
		nSlots:    max(1, len(p.rids)),
		kfWake:    make(chan struct{}, 1),
		done:      make(chan struct{}),
		downSet:   map[*DownTrack]struct{}{},
	}
	if u.stats == nil {
		u.stats = &Stats{}
	}
	if u.sendPLI == nil {
		u.sendPLI = func(uint32) {}
	}
	if u.onLayers == nil {
		u.onLayers = func(*UpTrack, []string) {}
	}
	for i := 0; i < u.nSlots; i++ {
		if len(p.rids) > 0 {
			u.layers[i].rid = p.rids[i]
		}
		u.layers[i].rank = ridRank(p.rids, i)
		u.layers[i].lastPLI = -pliInterval
		u.layers[i].fan.threshold = p.fanOutMin
		if p.fanOutMin == 0 {
			u.layers[i].fan.threshold = defaultParallelFanOutMin
		}
		u.layers[i].fan.maxHelpers = fanOutHelpers()
	}
	empty := []*DownTrack{}
	u.downs.Store(&empty)
	u.layersDirty.Store(u.nSlots > 1) // the first report may already pause layers
	return u
}

// ID returns the server-assigned track id, matching [A-Za-z0-9_.@-]{1,64}.
func (u *UpTrack) ID() string { return u.id }

// Kind returns "audio" or "video".
func (u *UpTrack) Kind() string { return u.kind.String() }

// Source returns "camera", "microphone" or "screen".
func (u *UpTrack) Source() string { return u.source }

// Mid returns the mid of the publisher's m-line carrying the track.
func (u *UpTrack) Mid() string { return u.mid }

// Layers returns the simulcast rids announced in the publisher's offer
// (a=rid / a=simulcast), lowest first, or an empty slice when the track is
// not simulcast.
func (u *UpTrack) Layers() []string {
	out := make([]string, len(u.rids))
	copy(out, u.rids)
	return out
}

// Codec returns the codec the publisher sends.
func (u *UpTrack) Codec() webrtc.RTPCodecParameters { return u.codec }

// Muted reports whether forwarding is paused by SetMuted.
func (u *UpTrack) Muted() bool { return u.muted.Load() }

// SetMuted pauses (true) or resumes (false) forwarding of the track to every
// subscriber. A pause takes effect with the next packet. On resume each
// subscriber restarts its stream, at a keyframe for video, and a keyframe is
// requested from the publisher.
func (u *UpTrack) SetMuted(muted bool) {
	if !muted && u.muted.Load() {
		for _, d := range *u.downs.Load() {
			d.restart()
		}
		u.muted.Store(false)
		for _, d := range *u.downs.Load() {
			d.requestKeyframe()
		}
		u.log.Debug().Msg("track unmuted")
		return
	}
	if muted && !u.muted.Swap(true) {
		u.log.Debug().Msg("track muted")
	}
}

// Done returns a channel closed when the track has ended.
func (u *UpTrack) Done() <-chan struct{} { return u.done }

// now returns the track clock: monotonic nanoseconds since the track began.
func (u *UpTrack) now() int64 { return int64(time.Since(u.epoch)) }

// isVideo reports whether the track carries video.
func (u *UpTrack) isVideo() bool { return u.kind == webrtc.RTPCodecTypeVideo }

// setCodec fixes the track's codec; called once, before any packet is
// forwarded.
func (u *UpTrack) setCodec(c webrtc.RTPCodecParameters, audioLevelID uint8) {
	u.codec = c
	u.audioLevelID = audioLevelID
	if u.isVideo() {
		u.keyframe = media.KeyframeDetector(c.MimeType)
	}
}

// slotForRID returns the layer slot of a rid, or -1.
func (u *UpTrack) slotForRID(rid string) int {
	if len(u.rids) == 0 {
		if rid == "" {
			return 0
		}
		return -1
	}
	for i, r := range u.rids {
		if strings.EqualFold(r, rid) {
			return i
		}
	}
	return -1
}

// addDownTrack adds d to the fan-out snapshot. It fails when the track has
// ended.
func (u *UpTrack) addDownTrack(d *DownTrack) error {
	u.mu.Lock()
	if u.ended {
		u.mu.Unlock()
		return ErrTrackEnded
	}
	u.downSet[d] = struct{}{}
	u.publishDownsLocked()
	u.mu.Unlock()
	u.layersChanged()
	return nil
}

// removeDownTrack removes d from the fan-out snapshot. A reader holding the
// previous snapshot may still hand d one more packet.
func (u *UpTrack) removeDownTrack(d *DownTrack) {
	u.mu.Lock()
	if _, ok := u.downSet[d]; !ok {
		u.mu.Unlock()
		return
	}
	delete(u.downSet, d)
	u.publishDownsLocked()
	u.mu.Unlock()
	u.layersChanged()
}

// publishDownsLocked replaces the snapshot with a fresh slice (copy on
// write: readers keep iterating the old one undisturbed).
func (u *UpTrack) publishDownsLocked() {
	s := make([]*DownTrack, 0, len(u.downSet))
	for d := range u.downSet {
		s = append(s, d)
	}
	u.downs.Store(&s)
}

// DownTrackCount returns the number of subscribers of the track.
func (u *UpTrack) DownTrackCount() int { return len(*u.downs.Load()) }

// activeSlots returns a bit set of the layers that carried a packet in the
// last activeWindow.
func (u *UpTrack) activeSlots(now int64) uint8 {
	var set uint8
	for i := 0; i < u.nSlots; i++ {
		l := &u.layers[i]
		if l.present.Load() && now-l.lastPacket.Load() < int64(activeWindow) {
			set |= 1 << i
		}
	}
	return set
}

// activeWindow is how recently a layer must have carried a packet to be
// chosen for a subscriber.
const activeWindow = 1500 * time.Millisecond

// retargetAll re-evaluates the layer of every subscriber, after the set of
// active layers changed.
func (u *UpTrack) retargetAll() {
	for _, d := range *u.downs.Load() {
		d.retarget()
	}
}
