package sfu

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// Test harness: a server engine and a client engine, both pinned to
// 127.0.0.1 (TESTING.md), real Pion client PeerConnections on the client
// side, and an sfu.Peer per simulated member on the server side.

const waitTimeout = 10 * time.Second

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func testLogger(t testing.TB) zerolog.Logger {
	if os.Getenv("SFU_TEST_LOG") == "" {
		return zerolog.Nop()
	}
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}

type testEnv struct {
	t      *testing.T
	server *media.Engine
	client *webrtc.API
	log    zerolog.Logger
}

func newTestEnv(t *testing.T, clientInterceptors ...interceptor.Factory) *testEnv {
	t.Helper()
	log := testLogger(t)
	server, err := media.New(media.Config{RTCIP: "127.0.0.1", Logger: log.With().Str("side", "server").Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	return &testEnv{t: t, server: server, client: newClientAPI(t, clientInterceptors...), log: log}
}

// newClientAPI builds the API of the test clients ("browsers"): ringsfu's
// codecs and interceptors, header extensions in both directions (a client
// sends simulcast with mid and rid), and the loopback-only settings of
// TESTING.md.
func newClientAPI(t *testing.T, extra ...interceptor.Factory) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := media.RegisterCodecs(me); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{media.ExtMid, media.ExtRID, media.ExtRepairedRID, media.ExtAbsSendTime} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	for _, uri := range []string{media.ExtMid, media.ExtAudioLevel, media.ExtAbsSendTime} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	reg := &interceptor.Registry{}
	if err := media.RegisterInterceptors(reg, media.NewLoggerFactory(zerolog.Nop()), extra...); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool {
		iface, err := net.InterfaceByName(name)
		return err == nil && iface.Flags&net.FlagLoopback != 0
	})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetPrflxAcceptanceMinWait(0)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// testPeer is a server Peer whose callbacks feed channels.
type testPeer struct {
	*Peer
	offers   chan string
	upTracks chan *UpTrack
	ended    chan *UpTrack
}

func (e *testEnv) newPeer(name string) *testPeer {
	e.t.Helper()
	tp := &testPeer{
		offers:   make(chan string, 64),
		upTracks: make(chan *UpTrack, 64),
		ended:    make(chan *UpTrack, 64),
	}
	p, err := NewPeer(PeerConfig{
		API:               e.server.API(),
		Logger:            e.log.With().Str("peer", name).Logger(),
		OnSubscriberOffer: func(s string) { tp.offers <- s },
		OnUpTrack:         func(u *UpTrack) { tp.upTracks <- u },
		OnUpTrackEnded:    func(u *UpTrack) { tp.ended <- u },
	})
	if err != nil {
		e.t.Fatal(err)
	}
	tp.Peer = p
	e.t.Cleanup(func() { _ = p.Close() })
	return tp
}

func (tp *testPeer) nextUpTrack(t testing.TB) *UpTrack {
	t.Helper()
	select {
	case u := <-tp.upTracks:
		return u
	case <-time.After(waitTimeout):
		t.Fatal("no OnUpTrack")
		return nil
	}
}

// client is a Pion PeerConnection playing a browser.
type client struct {
	t    *testing.T
	pc   *webrtc.PeerConnection
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func (e *testEnv) newClient() *client {
	e.t.Helper()
	pc, err := e.client.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		e.t.Fatal(err)
	}
	c := &client{t: e.t, pc: pc, stop: make(chan struct{})}
	e.t.Cleanup(c.close)
	return c
}

func (c *client) close() {
	c.once.Do(func() {
		close(c.stop)
		_ = c.pc.Close()
		c.wg.Wait()
	})
}

func (c *client) goRun(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// localComplete sets d as local description and returns it with candidates.
func (c *client) localComplete(d webrtc.SessionDescription) string {
	c.t.Helper()
	done := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(d); err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(waitTimeout):
		c.t.Fatal("client gathering timeout")
	}
	return c.pc.LocalDescription().SDP
}

// ---- publishing side ----

// pubTrack is a synthetic VP8 (or Opus) source with one or more layers.
type pubTrack struct {
	c      *client
	kind   webrtc.RTPCodecType
	layers []*pubLayer
	sender *webrtc.RTPSender
	midID  uint8
	ridID  uint8
}

type pubLayer struct {
	rid    string
	index  int
	track  *webrtc.TrackLocalStaticRTP
	seq    uint16
	ts     uint32
	frame  uint32
	kfWant atomic.Bool

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
	l.frame++
	var payload []byte
	if pt.kind == webrtc.RTPCodecTypeAudio {
		payload = make([]byte, 20)
		binary.BigEndian.PutUint32(payload, l.frame)
		l.ts += 960
	} else {
		payload = makeVP8Payload(l.index, l.frame, l.kfWant.Swap(false))
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

// ---- subscribing side ----

type recvPacket struct {
	header  rtp.Header
	payload []byte
	at      time.Time
}

type recvTrack struct {
	remote *webrtc.TrackRemote
	mu     sync.Mutex
	pkts   []recvPacket // guarded by mu
}

func (r *recvTrack) packets() []recvPacket {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recvPacket(nil), r.pkts...)
}

func (r *recvTrack) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pkts)
}

// subClient is a client receiving through a server Peer's subscriber PC.
type subClient struct {
	*client
	peer    *testPeer
	tracks  chan *recvTrack
	offers  atomic.Int32
	hold    chan struct{} // when non-nil, each answer waits for a token
	answerd atomic.Int32
}

func (e *testEnv) newSubscriber(p *testPeer, holdAnswers bool) *subClient {
	s := &subClient{client: e.newClient(), peer: p, tracks: make(chan *recvTrack, 64)}
	if holdAnswers {
		s.hold = make(chan struct{}, 64)
	}
	s.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		rt := &recvTrack{remote: tr}
		s.tracks <- rt
		s.goRun(func() {
			buf := make([]byte, 1500)
			for {
				n, _, err := tr.Read(buf)
				if err != nil {
					return
				}
				var pkt rtp.Packet
				if pkt.Unmarshal(buf[:n]) != nil {
					continue
				}
				rp := recvPacket{header: pkt.Header.Clone(), payload: append([]byte(nil), pkt.Payload...), at: time.Now()}
				rt.mu.Lock()
				rt.pkts = append(rt.pkts, rp)
				rt.mu.Unlock()
			}
		})
	})
	s.goRun(s.answerLoop)
	return s
}

// fail reports an error unless the client is shutting down.
func (s *subClient) fail(format string, args ...any) {
	select {
	case <-s.stop:
	default:
		s.t.Errorf(format, args...)
	}
}

func (s *subClient) answerLoop() {
	for {
		var offer string
		select {
		case <-s.stop:
			return
		case offer = <-s.peer.offers:
		}
		s.offers.Add(1)
		if s.hold != nil {
			select {
			case <-s.stop:
				return
			case <-s.hold:
			}
		}
		if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
			s.fail("subscriber set offer: %v", err)
			return
		}
		answer, err := s.pc.CreateAnswer(nil)
		if err != nil {
			s.fail("subscriber create answer: %v", err)
			return
		}
		done := webrtc.GatheringCompletePromise(s.pc)
		if err := s.pc.SetLocalDescription(answer); err != nil {
			s.fail("subscriber set answer: %v", err)
			return
		}
		select {
		case <-done:
		case <-s.stop:
			return
		}
		if err := s.peer.SetSubscriberAnswer(s.pc.LocalDescription().SDP); errors.Is(err, ErrClosed) {
			return
		} else if err != nil {
			s.fail("SetSubscriberAnswer: %v", err)
			return
		}
		s.answerd.Add(1)
	}
}

func (s *subClient) nextTrack(t testing.TB) *recvTrack {
	t.Helper()
	select {
	case rt := <-s.tracks:
		return rt
	case <-time.After(waitTimeout):
		t.Fatal("subscriber got no track")
		return nil
	}
}

// sendPLI sends a PLI for a received track.
func (s *subClient) sendPLI(rt *recvTrack) {
	_ = s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(rt.remote.SSRC())}})
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
