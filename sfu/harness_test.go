package sfu

import (
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// Test harness: a server engine and a client engine, both pinned to
// 127.0.0.1 (README.md § Testing), real Pion client PeerConnections on the client
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
	fast   bool // Peers get the engine's FastPath (newFastTestEnv)
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

// newFastTestEnv is newTestEnv with a server engine on a shared UDP socket
// whose fast path (media.FastPath) has passed its self-test; every Peer
// gets it.
func newFastTestEnv(t *testing.T, clientInterceptors ...interceptor.Factory) *testEnv {
	t.Helper()
	log := testLogger(t)
	var server *media.Engine
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		server, err = media.New(media.Config{RTCIP: "127.0.0.1", UDPPort: freeUDPPort(t),
			Logger: log.With().Str("side", "server").Logger()})
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	if err := server.FastPath().SelfTest(); err != nil {
		t.Fatalf("fast path self-test: %v", err)
	}
	return &testEnv{t: t, fast: true, server: server, client: newClientAPI(t, clientInterceptors...), log: log}
}

// freeUDPPort finds a UDP port that is free on 127.0.0.1 right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// newClientAPI builds the API of the test clients ("browsers"): ringsfu's
// codecs and interceptors, header extensions in both directions (a client
// sends simulcast with mid and rid), and the loopback-only settings of
// README.md § Testing.
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
	if err := media.ConfigureNetwork(&se, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
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
	return e.newPeerWith(name, nil)
}

// newPeerWith is newPeer with a hook to adjust the PeerConfig.
func (e *testEnv) newPeerWith(name string, adjust func(*PeerConfig)) *testPeer {
	e.t.Helper()
	tp := &testPeer{
		offers:   make(chan string, 64),
		upTracks: make(chan *UpTrack, 64),
		ended:    make(chan *UpTrack, 64),
	}
	cfg := PeerConfig{
		API:               e.server.API(),
		Logger:            e.log.With().Str("peer", name).Logger(),
		OnSubscriberOffer: func(s string) { tp.offers <- s },
		OnUpTrack:         func(u *UpTrack) { tp.upTracks <- u },
		OnUpTrackEnded:    func(u *UpTrack) { tp.ended <- u },
	}
	if e.fast {
		cfg.FastPath = e.server.FastPath()
	}
	if adjust != nil {
		adjust(&cfg)
	}
	p, err := NewPeer(cfg)
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
