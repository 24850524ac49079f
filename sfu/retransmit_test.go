package sfu

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// captureWriter records the packets written to it.
type captureWriter struct{ pkts []rtp.Packet }

func (c *captureWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	c.pkts = append(c.pkts, rtp.Packet{Header: h.Clone(), Payload: append([]byte(nil), payload...)})
	return h.MarshalSize() + len(payload), nil
}

func (c *captureWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestRetransmitFromSharedRing checks the NACK path without the network: a
// DownTrack answers a NACK for one of its outgoing sequence numbers with the
// right packet from the UpTrack's ring, rewritten for its session, over RTX
// (original sequence number first, RTX SSRC and payload type, its own
// sequence space) or in the media stream without RTX; it ignores numbers
// the ring does not hold.
func TestRetransmitFromSharedRing(t *testing.T) {
	for _, withRTX := range []bool{true, false} {
		f := newFanOutFixture(t, 2)
		for i := 0; i < 20; i++ {
			f.next()
		}
		d := f.downs[0]
		b := d.bind.Load()
		capture := &captureWriter{}
		nb := *b
		nb.writer = capture
		if withRTX {
			nb.rtxSSRC, nb.rtxPayloadType = 5555, 97
		}
		d.bind.Store(&nb)

		last, lastTS, _ := d.rw.Last()
		want := last - 5
		d.rtxSeq.Store(699) // the next RTX packet is numbered 700
		s := &rtxScratch{}
		d.onNACK(&rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{
			{PacketID: want},
			{PacketID: last + 1000}, // never sent
		}}, s)
		if len(capture.pkts) != 1 {
			t.Fatalf("rtx=%v: %d packets resent, want 1", withRTX, len(capture.pkts))
		}
		p := capture.pkts[0]
		payload := p.Payload
		if withRTX {
			if p.SSRC != 5555 || p.PayloadType != 97 || p.SequenceNumber != 700 {
				t.Fatalf("rtx header %+v", p.Header)
			}
			if osn := binary.BigEndian.Uint16(payload); osn != want {
				t.Fatalf("rtx original sequence number %d, want %d", osn, want)
			}
			payload = payload[2:]
		} else if p.SSRC != b.ssrc || p.PayloadType != b.payloadType || p.SequenceNumber != want {
			t.Fatalf("plain retransmission header %+v", p.Header)
		}
		if p.Timestamp != lastTS { // the fixture keeps one timestamp
			t.Fatalf("timestamp %d, want %d", p.Timestamp, lastTS)
		}
		if !bytes.Equal(payload, f.buf[f.payloadOffset():]) {
			t.Fatal("payload differs from the forwarded one")
		}
		if d.PacketsRetransmitted() != 1 {
			t.Fatalf("counted %d retransmissions", d.PacketsRetransmitted())
		}
		// A repeated NACK within minResendInterval is not answered again.
		d.onNACK(&rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: want}}}, s)
		if len(capture.pkts) != 1 {
			t.Fatalf("rtx=%v: a repeated NACK was answered at once", withRTX)
		}
	}
}

// TestResendBudget checks the per-subscriber bound: at most maxResends
// resends of one packet, each at least minResendInterval apart.
func TestResendBudget(t *testing.T) {
	s := &rtxScratch{}
	now := int64(1e9)
	if !s.allow(7, now) {
		t.Fatal("first resend refused")
	}
	if s.allow(7, now+minResendInterval/2) {
		t.Fatal("resend within the interval allowed")
	}
	for i := 2; i <= maxResends; i++ {
		now += minResendInterval
		if !s.allow(7, now) {
			t.Fatalf("resend %d refused", i)
		}
	}
	if s.allow(7, now+10*minResendInterval) {
		t.Fatal("resend beyond maxResends allowed")
	}
	if !s.allow(7+ringSize, now) {
		t.Fatal("another packet in the same slot refused")
	}
}
