package media

import (
	"net"
	"net/netip"
	"sync"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// FastPath is the server's direct SRTP send path: package sfu encrypts
// forwarded packets itself, with a PeerConnection's own keys (SRTPOut),
// in place in a DatagramBatch, and sends them with sendmmsg straight to
// the selected candidate pair's remote address over the shared UDP socket,
// instead of handing each packet to Pion's writer (TrackLocalWriter →
// SRTP session → ICE conn → mux → BatchConn queue → writer goroutine).
//
// It serves only pairs whose local side is the shared socket and whose
// remote side is UDP without a relay (Usable); other pairs get the same
// encrypted bytes through Pion's ICE connection (SRTPOut.WriteRaw).
//
// The engine runs a self-test once, in its own goroutine, when the shared
// socket opens (fastpath_selftest.go): until it has passed, Ready is
// false and package sfu uses Pion's writer.
type FastPath struct {
	conn  *net.UDPConn
	local netip.AddrPort

	once    sync.Once
	done    chan struct{} // closed when the self-test has finished
	err     error         // the self-test's result, valid after done
	selfAPI *webrtc.API   // the engine's API, for the self-test
	stop    chan struct{} // closed by the engine's Close: abandon the self-test
	log     zerolog.Logger
}

// NewFastPath returns a FastPath over conn whose self-test has not run
// (Ready is false), for benchmarks and tests that build the per-Peer state
// themselves; engines create theirs.
func NewFastPath(conn *net.UDPConn) *FastPath { return newFastPath(conn, nil, zerolog.Nop()) }

func newFastPath(conn *net.UDPConn, api *webrtc.API, log zerolog.Logger) *FastPath {
	local, _ := netip.ParseAddrPort(conn.LocalAddr().String())
	return &FastPath{conn: conn, local: local, done: make(chan struct{}), selfAPI: api, stop: make(chan struct{}), log: log}
}

// Conn returns the shared socket.
func (f *FastPath) Conn() *net.UDPConn { return f.conn }

// Ready reports whether the self-test has passed.
func (f *FastPath) Ready() bool {
	select {
	case <-f.done:
		return f.err == nil
	default:
		return false
	}
}

// SelfTest runs the self-test if it has not run yet, waits for it and
// returns its result.
func (f *FastPath) SelfTest() error {
	f.once.Do(func() {
		f.err = selfTest(f)
		close(f.done)
	})
	<-f.done
	return f.err
}

// Usable returns the remote address to send to directly when pair's
// local candidate is the shared socket and both sides are UDP without a
// relay; ok is false otherwise.
func (f *FastPath) Usable(pair *webrtc.ICECandidatePair) (remote netip.AddrPort, ok bool) {
	if pair == nil || pair.Local == nil || pair.Remote == nil {
		return netip.AddrPort{}, false
	}
	l, r := pair.Local, pair.Remote
	if l.Protocol != webrtc.ICEProtocolUDP || r.Protocol != webrtc.ICEProtocolUDP ||
		l.Typ == webrtc.ICECandidateTypeRelay || r.Typ == webrtc.ICECandidateTypeRelay {
		return netip.AddrPort{}, false
	}
	la, err := netip.ParseAddr(l.Address)
	if err != nil || la.Unmap() != f.local.Addr().Unmap() || l.Port != f.local.Port() {
		return netip.AddrPort{}, false
	}
	ra, err := netip.ParseAddr(r.Address)
	if err != nil || !ra.Unmap().Is4() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ra.Unmap(), r.Port), true
}
