package loadgen

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// payloadMagic marks a synthetic payload; the 8 bytes after it are the send
// time in Unix nanoseconds.
var payloadMagic = [4]byte{'R', 'S', 'F', 'U'}

// layerShape is one synthetic video layer: packets per second, packet
// payload size and packets per frame at 30 frames per second.
type layerShape struct {
	rid       string
	pps       int
	size      int
	perFrame  int
	frameRate int
}

// cameraLayers approximate a real 3-layer camera: ~1.5 Mbit/s, ~500 kbit/s
// and ~150 kbit/s at ~150, 60 and 30 packets per second.
var cameraLayers = []layerShape{
	{rid: "q", pps: 30, size: 625, perFrame: 1, frameRate: 30},
	{rid: "h", pps: 60, size: 1040, perFrame: 2, frameRate: 30},
	{rid: "f", pps: 150, size: 1250, perFrame: 5, frameRate: 30},
}

// keyframeEvery is the synthetic encoder's keyframe interval.
const keyframeEvery = 75 // frames: 2.5 s at 30 fps

// source writes synthetic RTP into one track until stopped.
type source struct {
	track    *webrtc.TrackLocalStaticRTP
	shape    layerShape
	audio    bool
	keyReq   atomic.Bool
	paused   atomic.Bool // the server paused the layer (PROTOCOL.md §9.2): encode nothing
	sent     atomic.Uint64
	stop     chan struct{}
	stopOnce sync.Once
	started  atomic.Bool
	done     chan struct{}
}

func newSource(track *webrtc.TrackLocalStaticRTP, shape layerShape, audio bool) *source {
	return &source{track: track, shape: shape, audio: audio, stop: make(chan struct{}), done: make(chan struct{})}
}

// requestKeyframe makes the next frame a keyframe, as an encoder answers
// a PLI.
func (s *source) requestKeyframe() { s.keyReq.Store(true) }

// setPaused stops or resumes the layer's encoder; a resumed layer starts
// with a keyframe.
func (s *source) setPaused(paused bool) {
	if !s.paused.Swap(paused) || paused {
		return
	}
	s.keyReq.Store(true)
}

// run paces packets until stop is closed.
func (s *source) run() {
	s.started.Store(true)
	defer close(s.done)
	interval := 20 * time.Millisecond // Opus: 50 packets per second
	perFrame, size, tsStep := 1, 80, uint32(960)
	if !s.audio {
		interval = time.Second / time.Duration(s.shape.frameRate)
		perFrame, size, tsStep = s.shape.perFrame, s.shape.size, uint32(90000/s.shape.frameRate)
	}
	buf := make([]byte, size)
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2}}
	var seq uint16
	var ts uint32
	frame := 0
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		if s.paused.Load() {
			ts += tsStep
			continue
		}
		key := !s.audio && (frame%keyframeEvery == 0 || s.keyReq.Swap(false))
		for i := 0; i < perFrame; i++ {
			n := s.fill(buf, i == 0, key)
			pkt.SequenceNumber = seq
			pkt.Timestamp = ts
			pkt.Marker = i == perFrame-1
			pkt.Payload = buf[:n]
			seq++
			if err := s.track.WriteRTP(pkt); err != nil {
				return
			}
			s.sent.Add(1)
		}
		ts += tsStep
		frame++
	}
}

// fill writes one payload: for video a VP8 payload descriptor (RFC 7741
// §4.2) and, at a frame start, a VP8 payload header whose P bit tells
// keyframes; then the magic and the send time.
func (s *source) fill(buf []byte, start, key bool) int {
	i := 0
	if s.audio {
		buf[0] = 0xfc // Opus TOC: CELT FB 20 ms, one frame (RFC 6716 §3.1)
		i = 1
	} else {
		buf[0] = 0x00
		i = 1
		if start {
			buf[0] = 0x10 // S: start of VP8 partition 0
			if key {
				// P=0 (keyframe), then the start code and 640x480 (RFC 6386 §9.1).
				copy(buf[1:], []byte{0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
				i = 11
			} else {
				copy(buf[1:], []byte{0x01, 0x00, 0x00})
				i = 4
			}
		}
	}
	copy(buf[i:], payloadMagic[:])
	binary.BigEndian.PutUint64(buf[i+4:], uint64(time.Now().UnixNano()))
	return len(buf)
}

// close stops the source and waits for it.
func (s *source) close() {
	s.stopOnce.Do(func() { close(s.stop) })
	if s.started.Load() {
		<-s.done
	}
}

// sendTime reads the send time from a synthetic payload.
func sendTime(payload []byte) (int64, bool) {
	for i := 0; i+12 <= len(payload) && i <= 12; i++ {
		if payload[i] == 'R' && payload[i+1] == 'S' && payload[i+2] == 'F' && payload[i+3] == 'U' {
			return int64(binary.BigEndian.Uint64(payload[i+4:])), true
		}
	}
	return 0, false
}
