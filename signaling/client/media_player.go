package client

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
)

// rtpMTU is the payload budget of the RTP player's packetizer, as Pion's
// sample tracks use.
const rtpMTU = 1200

// Player plays a Clip into a track in a loop, paced by the frames'
// durations, and starts over at the clip's first frame (a key frame) when
// a keyframe is requested, as an encoder would answer a PLI.
//
// Goroutines: Start runs one pacing goroutine; Stop ends it and waits.
type Player struct {
	clip    *Clip
	write   func(Frame) error
	restart atomic.Bool
	sent    atomic.Uint64
	keys    atomic.Uint64

	startOnce, stopOnce sync.Once
	stop, done          chan struct{}
}

// NewSamplePlayer plays clip through a sample track: Pion packetizes each
// frame.
func NewSamplePlayer(clip *Clip, track *webrtc.TrackLocalStaticSample) *Player {
	return newPlayer(clip, func(f Frame) error {
		return track.WriteSample(pionmedia.Sample{Data: f.Data, Duration: f.Duration})
	})
}

// NewRTPPlayer plays clip through an RTP track, packetizing it itself
// (RFC 7741 for VP8 with a 15-bit PictureID, RFC 7587 for Opus). onPacket,
// if set, sees every packet before it is written (the track then sets its
// SSRC and payload type).
func NewRTPPlayer(clip *Clip, track *webrtc.TrackLocalStaticRTP, onPacket func(*rtp.Packet)) *Player {
	var payloader rtp.Payloader = &codecs.OpusPayloader{}
	if strings.EqualFold(clip.MimeType, webrtc.MimeTypeVP8) {
		payloader = &codecs.VP8Payloader{EnablePictureID: true}
	}
	pz := rtp.NewPacketizer(rtpMTU, 0, 0, payloader, rtp.NewRandomSequencer(), clip.ClockRate)
	return newPlayer(clip, func(f Frame) error {
		samples := uint32(f.Duration.Seconds() * float64(clip.ClockRate))
		for _, pkt := range pz.Packetize(f.Data, samples) {
			if onPacket != nil {
				onPacket(pkt)
			}
			if err := track.WriteRTP(pkt); err != nil {
				return err
			}
		}
		return nil
	})
}

func newPlayer(clip *Clip, write func(Frame) error) *Player {
	return &Player{clip: clip, write: write, stop: make(chan struct{}), done: make(chan struct{})}
}

// RequestKeyframe makes the next frame played the clip's first frame (a
// key frame). Meant as LocalTrack.OnKeyframeRequest; it never blocks.
func (p *Player) RequestKeyframe() { p.restart.Store(true) }

// OnKeyframeRequest adapts RequestKeyframe to LocalTrack.OnKeyframeRequest.
func (p *Player) OnKeyframeRequest(string) { p.RequestKeyframe() }

// FramesSent returns how many frames were written.
func (p *Player) FramesSent() uint64 { return p.sent.Load() }

// KeyframesSent returns how many key frames were written.
func (p *Player) KeyframesSent() uint64 { return p.keys.Load() }

// Start starts playing. It is idempotent.
func (p *Player) Start() {
	p.startOnce.Do(func() { go p.run() })
}

// Stop stops playing and waits for the pacing goroutine. It is idempotent
// and may be called without Start.
func (p *Player) Stop() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.startOnce.Do(func() { close(p.done) })
	<-p.done
}

// run writes frames on their schedule until Stop. Write errors (no
// binding yet, connection closed) are ignored: the frame is lost, as on a
// network.
func (p *Player) run() {
	defer close(p.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	next := time.Now()
	i := 0
	for {
		if p.restart.Swap(false) {
			i = 0
		}
		f := p.clip.Frames[i]
		_ = p.write(f)
		p.sent.Add(1)
		if f.Keyframe {
			p.keys.Add(1)
		}
		i = (i + 1) % len(p.clip.Frames)
		next = next.Add(f.Duration)
		if behind := time.Since(next); behind > 200*time.Millisecond {
			next = time.Now() // starved: do not burst to catch up
		}
		timer.Reset(time.Until(next))
		select {
		case <-p.stop:
			return
		case <-timer.C:
		}
	}
}
