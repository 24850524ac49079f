package sfu

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// shapedConn is a loopback UDP socket whose receive side is a rate-limited
// link: a token-bucket policer that drops what arrives above the rate (a
// bottleneck with a short queue). It also measures what it let through,
// for a receiver-side bandwidth estimate.
type shapedConn struct {
	net.PacketConn
	rate atomic.Uint64 // bits per second; 0: unlimited

	mu       sync.Mutex
	tokens   float64 // bytes; guarded by mu
	last     time.Time
	accepted uint64 // bytes let through; guarded by mu
	dropped  uint64 // packets dropped; guarded by mu
}

func newShapedConn(t *testing.T, bps uint64) *shapedConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &shapedConn{PacketConn: pc, last: time.Now()}
	s.rate.Store(bps)
	return s
}

// ReadFrom returns the next datagram the link lets through.
func (s *shapedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := s.PacketConn.ReadFrom(b)
		if err != nil || s.pass(n) {
			return n, addr, err
		}
	}
}

// pass applies the policer to a datagram of n bytes.
func (s *shapedConn) pass(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	rate := float64(s.rate.Load()) / 8
	if rate > 0 {
		depth := max(rate*0.05, 3000) // 50 ms of queue
		s.tokens = min(s.tokens+rate*now.Sub(s.last).Seconds(), depth)
		s.last = now
		if s.tokens < float64(n) {
			s.dropped++
			return false
		}
		s.tokens -= float64(n)
	}
	s.accepted += uint64(n)
	return true
}

// take returns and resets the counters.
func (s *shapedConn) take() (accepted, dropped uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	accepted, dropped = s.accepted, s.dropped
	s.accepted, s.dropped = 0, 0
	return accepted, dropped
}

// newShapedClient returns a client PeerConnection that receives through
// conn.
func (e *testEnv) newShapedClient(conn *shapedConn) *client {
	e.t.Helper()
	me := &webrtc.MediaEngine{}
	if err := media.RegisterCodecs(me); err != nil {
		e.t.Fatal(err)
	}
	for _, uri := range []string{media.ExtMid, media.ExtRID, media.ExtRepairedRID, media.ExtAbsSendTime} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			e.t.Fatal(err)
		}
	}
	reg := &interceptor.Registry{}
	if err := media.RegisterInterceptors(reg, media.NewLoggerFactory(zerolog.Nop())); err != nil {
		e.t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	if err := media.ConfigureNetwork(&se, "127.0.0.1"); err != nil {
		e.t.Fatal(err)
	}
	mux := webrtc.NewICEUDPMux(nil, conn)
	se.SetICEUDPMux(mux)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		e.t.Fatal(err)
	}
	c := &client{t: e.t, pc: pc, stop: make(chan struct{})}
	e.t.Cleanup(func() {
		c.close()
		_ = mux.Close()
	})
	return c
}

// rembModel sends REMBs for ssrc every 200 ms the way a GCC receiver
// does over the shaped link: while nothing is dropped the estimate is 1.5
// times the incoming rate plus 10 kbit/s (it can only grow with what
// arrives); when the link drops packets it falls to 0.85 times the
// incoming rate.
func (s *subClient) rembModel(conn *shapedConn, ssrc func() uint32) {
	s.goRun(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		conn.take()
		last := time.Now()
		for {
			select {
			case <-s.stop:
				return
			case now := <-tick.C:
				acc, drops := conn.take()
				rate := float64(acc*8) / now.Sub(last).Seconds()
				last = now
				est := 1.5*rate + 10_000
				if drops > 0 {
					est = 0.85 * rate
				}
				if id := ssrc(); id != 0 {
					s.sendREMB(id, uint64(est))
				}
			}
		}
	})
}
