package sfu

import (
	"bytes"
	"io"
	"math/bits"
	"strings"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// onceReader hands out one datagram, then io.EOF (the RTPSender closing).
type onceReader struct{ b []byte }

func (r *onceReader) Read(b []byte) (int, interceptor.Attributes, error) {
	if r.b == nil {
		return 0, nil, io.EOF
	}
	n := copy(b, r.b)
	r.b = nil
	return n, nil, nil
}

// layerPayload is the VP8 payload every packet of a simulcast layer
// carries in the fuzz fixture: a key frame marked with the layer.
func layerPayload(slot int) []byte { return makeVP8Payload(slot, 7, true) }

// simulcastFixture is a VP8 UpTrack with layers q, h and f, all flowing and
// measured, and one DownTrack bound to a capturing writer that has
// forwarded 40 packets of its layer.
func simulcastFixture(t *testing.T) (*UpTrack, *DownTrack, *captureWriter) {
	up := newUpTrack(upTrackParams{id: "TR_fuzz", kind: webrtc.RTPCodecTypeVideo, source: SourceCamera,
		rids: []string{RIDLow, RIDMedium, RIDHigh}, log: zerolog.Nop(), fanOutMin: -1})
	t.Cleanup(up.stopFanOut)
	for slot := 0; slot < 3; slot++ {
		if _, err := up.startLayer(slot, fakeLayer{}, 0); err != nil {
			t.Fatal(err)
		}
		up.layers[slot].bitrate.Store(uint64(150_000) << (2 * slot))
	}
	d := newDownTrack(up, nil, "publisher", zerolog.Nop())
	if _, err := d.Bind(sinkContext{ssrc: 1000, w: &sinkWriter{}}); err != nil {
		t.Fatal(err)
	}
	capture := &captureWriter{}
	nb := *d.bind.Load()
	nb.writer = capture
	d.bind.Store(&nb)
	d.peer = &Peer{} // a subscriber with no other video: REMB is this track's
	if err := up.addDownTrack(d); err != nil {
		t.Fatal(err)
	}
	d.retarget()
	var pkt rtp.Packet
	for i := 0; i < 40; i++ {
		for slot := 0; slot < 3; slot++ {
			raw, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(1000*slot + i),
				Timestamp: uint32(3000 * i), SSRC: 42 + uint32(slot)}, Payload: layerPayload(slot)}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			up.handlePacket(slot, &pkt, raw)
		}
	}
	if len(capture.pkts) == 0 {
		t.Fatal("fixture forwarded nothing")
	}
	capture.pkts = capture.pkts[:0]
	return up, d, capture
}

// FuzzSubscriberRTCP feeds arbitrary datagrams to a DownTrack's RTCP loop,
// as a subscriber's RTCP arrives (after SRTCP, the subscriber chooses every
// byte). Beyond not panicking it checks what the loop does with them:
//   - PLI and FIR are counted one each and relayed;
//   - NACKs are counted per sequence number asked, and every answer is a
//     packet from the layer ring, carrying the subscriber's SSRC, at most
//     one per number asked;
//   - REMB leaves the DownTrack on a valid layer.
func FuzzSubscriberRTCP(f *testing.F) {
	seed := func(pkts ...rtcp.Packet) {
		b, err := rtcp.Marshal(pkts)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(&rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: 1000})
	seed(&rtcp.FullIntraRequest{SenderSSRC: 1, MediaSSRC: 1000, FIR: []rtcp.FIREntry{{SSRC: 1000, SequenceNumber: 1}}})
	seed(&rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: 1000, Nacks: []rtcp.NackPair{{PacketID: 2030, LostPackets: 0xffff}}})
	seed(&rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: 1000, Nacks: []rtcp.NackPair{{PacketID: 0, LostPackets: 1}, {PacketID: 2039}}})
	seed(&rtcp.ReceiverEstimatedMaximumBitrate{SenderSSRC: 1, Bitrate: 100_000, SSRCs: []uint32{1000}})
	seed(&rtcp.ReceiverEstimatedMaximumBitrate{SenderSSRC: 1, Bitrate: 1e12, SSRCs: []uint32{1000}})
	seed(&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 1000, FractionLost: 3}}},
		&rtcp.PictureLossIndication{MediaSSRC: 1000})
	f.Add([]byte{0x80, 0xc9, 0x00, 0x01})
	f.Add([]byte{0x81, 0xcd, 0xff, 0xff, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		up, d, capture := simulcastFixture(t)
		pkts, err := rtcp.Unmarshal(data)
		var plis, asked uint64
		if err == nil {
			for _, p := range pkts {
				switch p := p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					plis++
				case *rtcp.TransportLayerNack:
					for _, n := range p.Nacks {
						asked += 1 + uint64(bits.OnesCount16(uint16(n.LostPackets)))
					}
				}
			}
		}
		pli0, nack0 := up.stats.PLIsIn.Load(), up.stats.NACKsIn.Load()
		d.rtcpLoop(&onceReader{b: data})
		if got := up.stats.PLIsIn.Load() - pli0; got != plis {
			t.Fatalf("%d PLI/FIR counted, %d sent", got, plis)
		}
		if got := up.stats.NACKsIn.Load() - nack0; got != asked {
			t.Fatalf("%d NACKed numbers counted, %d asked", got, asked)
		}
		if uint64(len(capture.pkts)) > asked {
			t.Fatalf("%d retransmissions for %d numbers asked", len(capture.pkts), asked)
		}
		for _, p := range capture.pkts {
			if p.SSRC != 1000 || p.PayloadType != 96 {
				t.Fatalf("retransmission header %+v", p.Header)
			}
			if !bytes.Equal(p.Payload, layerPayload(0)) && !bytes.Equal(p.Payload, layerPayload(1)) && !bytes.Equal(p.Payload, layerPayload(2)) {
				t.Fatalf("retransmitted a payload that was never forwarded: %x", p.Payload)
			}
		}
		if tg := d.target.Load(); tg < 0 || int(tg) >= up.nSlots {
			t.Fatalf("target layer %d of %d", tg, up.nSlots)
		}
		d.mu.Lock()
		bwe := d.bweSlot
		d.mu.Unlock()
		if bwe < 0 || bwe >= maxLayers {
			t.Fatalf("bandwidth slot %d", bwe)
		}
	})
}

// FuzzPublisherRTP feeds arbitrary datagrams to an UpTrack's packet
// handler, as a publisher's RTP arrives (after SRTP, the publisher chooses
// every byte). A packet is counted and forwarded only when it parses and
// carries the track's payload type and a payload; what the subscribers get
// is that payload, under their own SSRC and payload type.
func FuzzPublisherRTP(f *testing.F) {
	for _, p := range []rtp.Packet{
		{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 101, Timestamp: 9000, SSRC: 42}, Payload: makeVP8Payload(0, 2, false)},
		{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 50, Timestamp: 1, SSRC: 42, Marker: true}, Payload: makeVP8Payload(0, 3, true)},
		{Header: rtp.Header{Version: 2, PayloadType: 97, SequenceNumber: 102, SSRC: 42}, Payload: []byte{1, 2}},
		{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 103, SSRC: 42, Padding: true, PaddingSize: 4}, Payload: []byte{0x10, 0x01}},
	} {
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	ext := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 104, SSRC: 42}
	_ = ext.SetExtension(1, []byte("0"))
	_ = ext.SetExtension(3, []byte{1, 2, 3})
	if b, err := (&rtp.Packet{Header: ext, Payload: []byte{0x10, 0x01, 0xaa}}).Marshal(); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0x80})
	f.Add([]byte{0xbf, 0xe0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42})
	f.Fuzz(func(t *testing.T, data []byte) {
		fx := newFanOutFixture(t, 2)
		captures := make([]*captureWriter, len(fx.downs))
		for i, d := range fx.downs {
			captures[i] = &captureWriter{}
			nb := *d.bind.Load()
			nb.writer = captures[i]
			d.bind.Store(&nb)
		}
		in0 := fx.up.stats.PacketsIn.Load()
		var pkt rtp.Packet
		fx.up.handlePacket(0, &pkt, data)
		var want rtp.Packet
		valid := want.Unmarshal(data) == nil && want.PayloadType == 96 && len(want.Payload) > 0
		if got := fx.up.stats.PacketsIn.Load() - in0; (got == 1) != valid || got > 1 {
			t.Fatalf("packet counted %d times, valid=%v", got, valid)
		}
		for i, c := range captures {
			if !valid && len(c.pkts) > 0 || len(c.pkts) > 1 {
				t.Fatalf("subscriber %d got %d packets (valid=%v)", i, len(c.pkts), valid)
			}
			for _, p := range c.pkts {
				b := fx.downs[i].bind.Load()
				if p.SSRC != b.ssrc || p.PayloadType != b.payloadType || !bytes.Equal(p.Payload, want.Payload) {
					t.Fatalf("subscriber %d got %+v %x, sent %x", i, p.Header, p.Payload, want.Payload)
				}
			}
		}
	})
}

// FuzzParseOffer parses arbitrary publisher offers (the client's SDP) and
// checks what Publish relies on: simulcast layers are listed only for mids
// of the offer, with 2 to maxLayers distinct non-empty rids, lowest first,
// whose ranks are valid layer ranks in strictly increasing order.
func FuzzParseOffer(f *testing.F) {
	base := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	f.Add(base + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n" +
		"a=rid:f send\r\na=rid:h send\r\na=rid:q send\r\na=simulcast:send f;h;q\r\n")
	f.Add(base + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=rid:lo send\r\na=rid:hi send\r\na=rid:x recv\r\n")
	f.Add(base + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=simulcast:send ~q;h,x;f;;a;b recv z\r\n")
	f.Add(base + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:\r\na=simulcast:send\r\n")
	f.Add(base + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\n")
	f.Add("v=0\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		info, err := parseOffer(raw)
		if err != nil {
			if info.mids != nil || info.layers != nil {
				t.Fatal("error with a result")
			}
			return
		}
		for mid, rids := range info.layers {
			if _, ok := info.mids[mid]; !ok {
				t.Fatalf("layers for unknown mid %q", mid)
			}
			if len(rids) < 2 || len(rids) > maxLayers {
				t.Fatalf("mid %q: %d layers", mid, len(rids))
			}
			prev := -1
			for i, rid := range rids {
				if !validRID(rid) {
					t.Fatalf("mid %q: bad rid %q in %q", mid, rid, rids)
				}
				r := ridRank(rids, i)
				if r < 0 || r >= maxLayers || r <= prev {
					t.Fatalf("mid %q: rank %d after %d for %q", mid, r, prev, rids)
				}
				prev = r
			}
		}
	})
}

// FuzzWithGoogleBitrates rewrites arbitrary answers: every input line must
// survive in order (fmtp lines of video codecs only extended), lines are
// only added after an rtpmap, and an answer without video is unchanged.
func FuzzWithGoogleBitrates(f *testing.F) {
	f.Add("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n")
	f.Add("m=video 9 X 100\r\na=rtpmap:100 H264/90000\r\na=fmtp:100 profile-level-id=42e01f\r\nm=audio 9 X 111\r\na=rtpmap:111 opus/48000/2\r\n")
	f.Add("m=video \r\na=rtpmap:\r\na=fmtp:\r\na=rtpmap:96\r\n")
	f.Add("m=audio 9 X 111\r\na=rtpmap:111 opus/48000/2\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		out := withGoogleBitrates(in, 1500, 300)
		if !strings.Contains(in, "m=video ") && out != in {
			t.Fatalf("answer without video changed:\n%q\n%q", in, out)
		}
		inLines, outLines := strings.Split(in, "\r\n"), strings.Split(out, "\r\n")
		j := 0
		for _, l := range inLines {
			for j < len(outLines) && outLines[j] != l && !(strings.HasPrefix(l, "a=fmtp:") && strings.HasPrefix(outLines[j], l+";")) {
				if !strings.HasPrefix(outLines[j], "a=fmtp:") || j == 0 || !strings.HasPrefix(outLines[j-1], "a=rtpmap:") {
					t.Fatalf("line %q added or changed:\n%q\n%q", outLines[j], in, out)
				}
				j++
			}
			if j == len(outLines) {
				t.Fatalf("line %q lost:\n%q\n%q", l, in, out)
			}
			j++
		}
	})
}
