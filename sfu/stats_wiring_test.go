package sfu

import (
	"testing"

	"github.com/pion/rtcp"
)

// TestStatsCounted checks that the forwarding path counts into the
// UpTrack's Stats once per received packet (packets and bytes in, packets
// and bytes out summed over the fan-out, one latency observation) and that
// NACKs and retransmissions are counted.
func TestStatsCounted(t *testing.T) {
	f := newFanOutFixture(t, 3)
	s := f.up.stats
	in0, out0 := s.PacketsIn.Load(), s.PacketsOut.Load()
	_, lat0, _ := s.Latency()
	for i := 0; i < 10; i++ {
		f.next()
	}
	if got := s.PacketsIn.Load() - in0; got != 10 {
		t.Fatalf("packets in %d", got)
	}
	if got := s.PacketsOut.Load() - out0; got != 30 {
		t.Fatalf("packets out %d", got)
	}
	if s.BytesOut.Load() < 30*1000 || s.BytesIn.Load() < 10*1000 {
		t.Fatalf("bytes in %d out %d", s.BytesIn.Load(), s.BytesOut.Load())
	}
	if _, lat, _ := s.Latency(); lat-lat0 != 10 {
		t.Fatalf("%d latency observations", lat-lat0)
	}
	d := f.downs[0]
	last, _, _ := d.rw.Last()
	d.onNACK(&rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: last - 3, LostPackets: 0b11}}}, &rtxScratch{})
	if s.NACKsIn.Load() != 3 || s.Retransmits.Load() != 3 {
		t.Fatalf("nacks %d retransmits %d", s.NACKsIn.Load(), s.Retransmits.Load())
	}
}
