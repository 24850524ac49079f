package sfu

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Publishing side of the test clients: synthetic VP8/Opus sources that
// answer PLIs with keyframes and record them.

// pubTrack is a synthetic VP8 (or Opus) source with one or more layers.
type pubTrack struct {
	c      *client
	kind   webrtc.RTPCodecType
	layers []*pubLayer
	sender *webrtc.RTPSender
	midID  uint8
	ridID  uint8
	extra  []int // filler bytes added to each packet, per layer index
}

type pubLayer struct {
	rid    string
	index  int
	track  *webrtc.TrackLocalStaticRTP
	seq    uint16
	ts     uint32
	frame  uint32
	kfWant atomic.Bool
	paused atomic.Bool // told so by the server: send nothing
	sentN  atomic.Int64

	mu   sync.Mutex
	plis []time.Time // guarded by mu
	sent map[uint32][]byte
}

func (l *pubLayer) pliTimes() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.plis...)
}

// addVideo adds a VP8 track; with rids it is simulcast.
func (c *client) addVideo(rids ...string) *pubTrack {
	c.t.Helper()
	pt := &pubTrack{c: c, kind: webrtc.RTPCodecTypeVideo}
	names := rids
	if len(names) == 0 {
		names = []string{""}
	}
	for i, rid := range names {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if rid != "" {
			opts = append(opts, webrtc.WithRTPStreamID(rid))
		}
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "client", opts...)
		if err != nil {
			c.t.Fatal(err)
		}
		pt.layers = append(pt.layers, &pubLayer{rid: rid, index: i, track: tr,
			seq: uint16(1000 * (i + 7)), ts: uint32(90000 * (i + 3)), sent: map[uint32][]byte{}})
		if i == 0 {
			s, err := c.pc.AddTrack(tr)
			if err != nil {
				c.t.Fatal(err)
			}
			pt.sender = s
		} else if err := pt.sender.AddEncoding(tr); err != nil {
			c.t.Fatal(err)
		}
	}
	return pt
}

// addAudio adds an Opus track.
func (c *client) addAudio() *pubTrack {
	c.t.Helper()
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "client")
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := c.pc.AddTrack(tr)
	if err != nil {
		c.t.Fatal(err)
	}
	return &pubTrack{c: c, kind: webrtc.RTPCodecTypeAudio, sender: s,
		layers: []*pubLayer{{track: tr, seq: 500, ts: 4800, sent: map[uint32][]byte{}}}}
}

func (pt *pubTrack) mid() string {
	for _, tr := range pt.c.pc.GetTransceivers() {
		if tr.Sender() == pt.sender {
			return tr.Mid()
		}
	}
	pt.c.t.Fatal("no transceiver for sender")
	return ""
}

// publish offers the client's tracks to the server peer and applies the
// answer.
func (c *client) publish(p *testPeer, specs func() []TrackSpec) {
	c.t.Helper()
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	sdpOffer := c.localComplete(offer)
	answer, err := p.Publish(sdpOffer, specs())
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		c.t.Fatal(err)
	}
}

// start begins sending: every interval one packet per layer, a keyframe
// first and whenever the server asked for one. It also records PLIs.
func (pt *pubTrack) start(interval time.Duration) {
	params := pt.sender.GetParameters()
	for _, e := range params.HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			pt.midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			pt.ridID = uint8(e.ID)
		}
	}
	for _, l := range pt.layers {
		l.kfWant.Store(true)
		l := l
		pt.c.goRun(func() { pt.readRTCP(l) })
	}
	mid := pt.mid()
	pt.c.goRun(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-pt.c.stop:
				return
			case <-tick.C:
			}
			for _, l := range pt.layers {
				pt.sendOne(l, mid)
			}
		}
	})
}

func (pt *pubTrack) readRTCP(l *pubLayer) {
	for {
		var pkts []rtcp.Packet
		var err error
		if l.rid == "" {
			pkts, _, err = pt.sender.ReadRTCP()
		} else {
			pkts, _, err = pt.sender.ReadSimulcastRTCP(l.rid)
		}
		if err != nil {
			return
		}
		for _, p := range pkts {
			if _, ok := p.(*rtcp.PictureLossIndication); ok {
				l.mu.Lock()
				l.plis = append(l.plis, time.Now())
				l.mu.Unlock()
				l.kfWant.Store(true)
			}
		}
	}
}

// payload layout of synthetic VP8: descriptor 0x10 (S=1, PID=0), the VP8
// header byte (bit 0 = inverse keyframe flag), layer index, frame counter
// (4 bytes), and filler derived from the counter.
func makeVP8Payload(layer int, frame uint32, key bool) []byte {
	p := make([]byte, 40)
	p[0] = 0x10
	if !key {
		p[1] = 0x01
	}
	p[2] = byte(layer)
	binary.BigEndian.PutUint32(p[3:], frame)
	for i := 7; i < len(p); i++ {
		p[i] = byte(frame*31 + uint32(i))
	}
	return p
}

func parseVP8Payload(p []byte) (layer int, frame uint32, key bool) {
	return int(p[2]), binary.BigEndian.Uint32(p[3:]), p[1]&0x01 == 0
}

func (pt *pubTrack) sendOne(l *pubLayer, mid string) {
	if l.paused.Load() {
		return
	}
	l.sentN.Add(1)
	l.frame++
	var payload []byte
	if pt.kind == webrtc.RTPCodecTypeAudio {
		payload = make([]byte, 20)
		binary.BigEndian.PutUint32(payload, l.frame)
		l.ts += 960
	} else {
		payload = makeVP8Payload(l.index, l.frame, l.kfWant.Swap(false))
		if l.index < len(pt.extra) {
			payload = append(payload, make([]byte, pt.extra[l.index])...)
		}
		l.ts += 3000
	}
	l.seq++
	pkt := &rtp.Packet{
		Header:  rtp.Header{Version: 2, SequenceNumber: l.seq, Timestamp: l.ts, Marker: true},
		Payload: payload,
	}
	if l.rid != "" {
		_ = pkt.Header.SetExtension(pt.midID, []byte(mid))
		_ = pkt.Header.SetExtension(pt.ridID, []byte(l.rid))
	}
	l.mu.Lock()
	l.sent[l.frame] = payload
	l.mu.Unlock()
	_ = l.track.WriteRTP(pkt)
}

func (l *pubLayer) sentPayload(frame uint32) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent[frame]
}

// publishVideo is the common setup: one client publishing one VP8 track
// (simulcast if rids are given) through peer pub, sending every interval.
func (e *testEnv) publishVideo(pub *testPeer, interval time.Duration, rids ...string) (*client, *pubTrack, *UpTrack) {
	e.t.Helper()
	c := e.newClient()
	pt := c.addVideo(rids...)
	c.publish(pub, func() []TrackSpec { return []TrackSpec{{Mid: pt.mid(), Source: SourceCamera}} })
	pt.start(interval)
	u := pub.nextUpTrack(e.t)
	return c, pt, u
}

// sendREMB sends a REMB (draft-alvestrand-rmcat-remb) for one SSRC.
func (s *subClient) sendREMB(ssrc uint32, bps uint64) {
	_ = s.pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: float32(bps), SSRCs: []uint32{ssrc}}})
}
