package loadgen

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestTapConnReadsBatches sends a burst to a tapped socket: non-RTP
// datagrams come out whole with their source address, and the RTP ones are
// counted and sampled.
func TestTapConnReadsBatches(t *testing.T) {
	tn, err := newTapNet(newRTPCounters())
	if err != nil {
		t.Fatal(err)
	}
	uc, err := tn.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	c := uc.(*tapConn)
	tx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	dst := netip.MustParseAddrPort(c.LocalAddr().String())
	src := netip.MustParseAddrPort(tx.LocalAddr().String())
	rtpPkt := func(seq uint16) []byte {
		b := make([]byte, 60)
		b[0], b[1], b[2], b[3] = 0x80, 96, byte(seq>>8), byte(seq)
		b[11] = 7
		return b
	}
	const rtpCount = 40
	for i := 0; i < rtpCount; i++ {
		if _, err := tx.WriteToUDPAddrPort(rtpPkt(uint16(i)), dst); err != nil {
			t.Fatal(err)
		}
	}
	stun := []byte{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if _, err := tx.WriteToUDPAddrPort(stun, dst); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	passed := 0
	for {
		n, from, err := c.ReadFromAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if from != src {
			t.Fatalf("source %v, want %v", from, src)
		}
		if buf[0] == 0 { // the STUN message, after every RTP packet
			if string(buf[:n]) != string(stun) {
				t.Fatalf("stun % x", buf[:n])
			}
			break
		}
		passed++
	}
	if want := sampleLead + (rtpCount-sampleLead)/sampleEvery; passed != want {
		t.Fatalf("%d RTP packets passed, want %d", passed, want)
	}
	if sn := c.counters.get(7).snap(); sn.packets != rtpCount || sn.highest != rtpCount-1 {
		t.Fatalf("counter %+v", sn)
	}
}
