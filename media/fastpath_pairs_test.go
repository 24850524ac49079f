package media

import (
	"net"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestFastPathUsableOnlyForDirectUDPPairs: the direct send path serves a
// pair only when its local side is the shared socket and both sides are
// UDP host/srflx/prflx candidates; relay pairs (a client behind TURN) and
// ICE-TCP pairs fall back to Pion's writer (issue 10, item 5).
func TestFastPathUsableOnlyForDirectUDPPairs(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fp := NewFastPath(conn)
	port := uint16(conn.LocalAddr().(*net.UDPAddr).Port)
	cand := func(typ webrtc.ICECandidateType, proto webrtc.ICEProtocol, addr string, port uint16) *webrtc.ICECandidate {
		return &webrtc.ICECandidate{Typ: typ, Protocol: proto, Address: addr, Port: port}
	}
	local := cand(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "127.0.0.1", port)
	for _, tc := range []struct {
		name          string
		local, remote *webrtc.ICECandidate
		direct        bool
	}{
		{"host udp to host udp", local, cand(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "127.0.0.1", 40000), true},
		{"host udp to prflx udp", local, cand(webrtc.ICECandidateTypePrflx, webrtc.ICEProtocolUDP, "127.0.0.1", 40001), true},
		{"remote relay (client through TURN)", local, cand(webrtc.ICECandidateTypeRelay, webrtc.ICEProtocolUDP, "127.0.0.1", 40002), false},
		{"local relay", cand(webrtc.ICECandidateTypeRelay, webrtc.ICEProtocolUDP, "127.0.0.1", port),
			cand(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "127.0.0.1", 40003), false},
		{"ICE-TCP", cand(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolTCP, "127.0.0.1", port),
			cand(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolTCP, "127.0.0.1", 40004), false},
		{"another local socket", cand(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "127.0.0.1", port+1),
			cand(webrtc.ICECandidateTypeHost, webrtc.ICEProtocolUDP, "127.0.0.1", 40005), false},
	} {
		remote, ok := fp.Usable(&webrtc.ICECandidatePair{Local: tc.local, Remote: tc.remote})
		if ok != tc.direct {
			t.Errorf("%s: direct %v, want %v", tc.name, ok, tc.direct)
		}
		if ok && (remote.Port() != tc.remote.Port || remote.Addr().String() != tc.remote.Address) {
			t.Errorf("%s: sends to %s", tc.name, remote)
		}
	}
	if _, ok := fp.Usable(nil); ok {
		t.Error("nil pair usable")
	}
}
