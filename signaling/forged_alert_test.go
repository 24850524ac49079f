package signaling_test

import (
	"encoding/binary"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// Issue 14 item 1: a plaintext DTLS close_notify alert, forged with a
// member's ICE address and port as its source, must not cut that member's
// media. pion/dtls before v3.1.16 accepted it after the handshake and
// closed the PeerConnection.

// forgedCloseNotify is a DTLS 1.2 alert record (content type 21, epoch 0,
// sequence 0xabcd1234, length 2) carrying warning(1) close_notify(0).
var forgedCloseNotify = []byte{0x15, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0xab, 0xcd, 0x12, 0x34, 0x00, 0x02, 0x01, 0x00}

// spoofUDP sends payload from src to dst through a raw IPv4 socket that
// writes its own IP header (IPPROTO_RAW implies IP_HDRINCL), so the
// source address and port are whatever the test says.
func spoofUDP(t *testing.T, src, dst *net.UDPAddr, payload []byte) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_RAW)
	if err != nil {
		t.Fatalf("raw socket: %v", err)
	}
	defer syscall.Close(fd)
	pkt := make([]byte, 20+8+len(payload))
	pkt[0] = 0x45 // IPv4, 5-word header
	binary.BigEndian.PutUint16(pkt[2:], uint16(len(pkt)))
	pkt[8] = 64 // TTL
	pkt[9] = syscall.IPPROTO_UDP
	copy(pkt[12:16], src.IP.To4())
	copy(pkt[16:20], dst.IP.To4())
	binary.BigEndian.PutUint16(pkt[10:], ipChecksum(pkt[:20]))
	binary.BigEndian.PutUint16(pkt[20:], uint16(src.Port))
	binary.BigEndian.PutUint16(pkt[22:], uint16(dst.Port))
	binary.BigEndian.PutUint16(pkt[24:], uint16(8+len(payload)))
	// UDP checksum 0: none (RFC 768), valid over IPv4.
	copy(pkt[28:], payload)
	sa := &syscall.SockaddrInet4{}
	copy(sa.Addr[:], dst.IP.To4())
	if err := syscall.Sendto(fd, pkt, 0, sa); err != nil {
		t.Fatalf("raw sendto: %v", err)
	}
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// selectedPair returns the client's (local) and the server's (remote) ICE
// address of pc's selected candidate pair.
func selectedPair(t *testing.T, pc *webrtc.PeerConnection) (local, remote *net.UDPAddr) {
	t.Helper()
	var pair *webrtc.ICECandidatePair
	poll(t, mediaWait, "a selected candidate pair", func() bool {
		p, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		pair = p
		return err == nil && p != nil
	})
	return &net.UDPAddr{IP: net.ParseIP(pair.Local.Address), Port: int(pair.Local.Port)},
		&net.UDPAddr{IP: net.ParseIP(pair.Remote.Address), Port: int(pair.Remote.Port)}
}

// TestForgedDTLSAlertDoesNotCutMedia: alice publishes, bob receives; a
// forged close_notify from alice's publisher address to the server, then
// one from bob's subscriber address: bob keeps receiving alice's video and
// audio for well past each (the server's PCs stay up, nobody resets).
func TestForgedDTLSAlertDoesNotCutMedia(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the forged alert needs a raw IPv4 socket (CAP_NET_RAW); run the test as root")
	}
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "forged", "alice", "bob")
	alice, bob := ms[0], ms[1]
	v, a := publishedAV(t, alice)
	rv, ra := bob.waitTrack(v, 5), bob.waitTrack(a, 5)

	for _, c := range []struct {
		what string
		pc   *webrtc.PeerConnection
	}{{"alice's publisher pc", alice.s.Publisher()}, {"bob's subscriber pc", bob.s.Subscriber()}} {
		src, dst := selectedPair(t, c.pc)
		sent := time.Now()
		spoofUDP(t, src, dst, forgedCloseNotify)
		// A closed server PC stops the media within milliseconds; media
		// still arriving 1.5 s later means the alert was refused.
		poll(t, mediaWait, "bob receiving alice's media 1.5 s after a forged alert on "+c.what, func() bool {
			after := sent.Add(1500 * time.Millisecond)
			return rv.last().After(after) && ra.last().After(after)
		})
		if rv.isEnded() || ra.isEnded() {
			t.Fatalf("bob's tracks of alice ended after a forged alert on %s", c.what)
		}
		if st := c.pc.ConnectionState(); st != webrtc.PeerConnectionStateConnected {
			t.Fatalf("%s is %s after the forged alert", c.what, st)
		}
		if ra, rb := alice.resets(), bob.resets(); len(ra)+len(rb) != 0 {
			t.Fatalf("media was reset after a forged alert on %s: alice %q, bob %q", c.what, ra, rb)
		}
	}
}
