package sfu

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// sinkWriter stands in for Pion's SRTP writer: the benchmark measures the
// fan-out path, not encryption or the network.
type sinkWriter struct{ packets, bytes int }

func (s *sinkWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.packets++
	n := h.MarshalSize() + len(payload)
	s.bytes += n
	return n, nil
}

func (s *sinkWriter) Write(b []byte) (int, error) { return len(b), nil }

// sinkContext is a webrtc.TrackLocalContext whose WriteStream is a sink.
type sinkContext struct {
	ssrc webrtc.SSRC
	w    *sinkWriter
}

func (c sinkContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}}
}

func (c sinkContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter {
	return []webrtc.RTPHeaderExtensionParameter{{URI: media.ExtAbsSendTime, ID: 3}}
}
func (c sinkContext) SSRC() webrtc.SSRC                       { return c.ssrc }
func (c sinkContext) SSRCRetransmission() webrtc.SSRC         { return 0 }
func (c sinkContext) SSRCForwardErrorCorrection() webrtc.SSRC { return 0 }
func (c sinkContext) WriteStream() webrtc.TrackLocalWriter    { return c.w }
func (c sinkContext) ID() string                              { return fmt.Sprint(c.ssrc) }
func (c sinkContext) RTCPReader() interceptor.RTCPReader      { return nil }

// fanOutFixture is a VP8 UpTrack with n DownTracks bound to sinks, already
// started on a keyframe, and a received delta packet to forward.
type fanOutFixture struct {
	up    *UpTrack
	downs []*DownTrack
	sinks []*sinkWriter
	pkt   rtp.Packet
	buf   []byte
}

func newFanOutFixture(tb testing.TB, n int) *fanOutFixture {
	tb.Helper()
	f := &fanOutFixture{}
	f.up = newUpTrack(upTrackParams{id: "TR_bench", kind: webrtc.RTPCodecTypeVideo, source: SourceCamera, log: zerolog.Nop()})
	tb.Cleanup(f.up.stopFanOut)
	f.up.startLayer(0, fakeLayer{}, 0) //nolint:errcheck // cannot fail on a fresh track
	for i := 0; i < n; i++ {
		d := newDownTrack(f.up, nil, "publisher", zerolog.Nop())
		sink := &sinkWriter{}
		if _, err := d.Bind(sinkContext{ssrc: webrtc.SSRC(1000 + i), w: sink}); err != nil {
			tb.Fatal(err)
		}
		if err := f.up.addDownTrack(d); err != nil {
			tb.Fatal(err)
		}
		d.retarget()
		f.downs = append(f.downs, d)
		f.sinks = append(f.sinks, sink)
	}
	// A realistic received packet: publisher extensions (mid, abs-send-time,
	// transport-cc) and a 1000-byte payload.
	h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 100, Timestamp: 9000, SSRC: 42, Marker: true}
	_ = h.SetExtension(1, []byte("0"))
	_ = h.SetExtension(2, []byte{1, 2, 3})
	_ = h.SetExtension(5, []byte{0, 7})
	payload := make([]byte, 1000)
	copy(payload, makeVP8Payload(0, 1, true))
	raw, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	f.buf = raw
	f.up.handlePacket(0, &f.pkt, f.buf) // the keyframe starts every DownTrack
	f.buf[f.payloadOffset()+1] = 0x01   // from now on: delta frames
	return f
}

func (f *fanOutFixture) payloadOffset() int { return len(f.buf) - 1000 }

// next forwards the next packet of the stream.
func (f *fanOutFixture) next() {
	seq := binary.BigEndian.Uint16(f.buf[2:]) + 1
	binary.BigEndian.PutUint16(f.buf[2:], seq)
	f.up.handlePacket(0, &f.pkt, f.buf)
}

type fakeLayer struct{}

func (fakeLayer) Codec() webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}
}
func (fakeLayer) SSRC() webrtc.SSRC { return 42 }

// BenchmarkForward measures the forwarding hot path: one received packet
// parsed and fanned out to 1, 10, 100 and 400 DownTracks (rewritten header,
// abs-send-time written, handed to the writer); from ParallelFanOutMin
// (64) DownTracks on, the fan-out is split across helper goroutines. It
// reports ns per packet per DownTrack and must not allocate.
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 100, 400} {
		b.Run(fmt.Sprintf("downtracks=%d", n), func(b *testing.B) {
			f := newFanOutFixture(b, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(f.buf)))
			for b.Loop() {
				f.next()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/downtrack")
			if f.sinks[n-1].packets < b.N {
				b.Fatalf("sink got %d packets for %d iterations", f.sinks[n-1].packets, b.N)
			}
		})
	}
}

// TestForwardPathDoesNotAllocate checks the benchmark's zero-allocation
// claim in every test run, and that every DownTrack got every packet with
// its own SSRC and a contiguous sequence.
func TestForwardPathDoesNotAllocate(t *testing.T) {
	f := newFanOutFixture(t, 10)
	if allocs := testing.AllocsPerRun(1000, f.next); allocs != 0 {
		t.Fatalf("forwarding allocates %v times per packet", allocs)
	}
	for i, s := range f.sinks {
		if s.packets != 1002 { // keyframe + warm-up run + 1000
			t.Fatalf("sink %d got %d packets", i, s.packets)
		}
		if f.downs[i].PacketsForwarded() != 1002 {
			t.Fatalf("down track %d counted %d", i, f.downs[i].PacketsForwarded())
		}
	}
	seq, _, _ := f.downs[0].rw.Last()
	if seq != 100+1001 {
		t.Fatalf("last sequence %d", seq)
	}
}

// TestParallelFanOut forwards through the split fan-out (a low threshold,
// 200 DownTracks): every DownTrack gets every packet with a contiguous
// sequence, and the split path does not allocate either.
func TestParallelFanOut(t *testing.T) {
	f := newFanOutFixture(t, 200)
	f.up.layers[0].fan.threshold = 16
	f.next() // the first packet was written to 200: from now on it splits
	if allocs := testing.AllocsPerRun(500, f.next); allocs != 0 {
		t.Fatalf("split fan-out allocates %v times per packet", allocs)
	}
	if len(f.up.layers[0].fan.helpers) != fanOutHelpers() {
		t.Fatalf("%d helpers running", len(f.up.layers[0].fan.helpers))
	}
	for i, s := range f.sinks {
		if s.packets != 503 {
			t.Fatalf("sink %d got %d packets", i, s.packets)
		}
		if seq, _, _ := f.downs[i].rw.Last(); seq != 100+502 {
			t.Fatalf("down track %d: last sequence %d", i, seq)
		}
	}
	f.up.stopFanOut()
	if len(f.up.layers[0].fan.helpers) != 0 {
		t.Fatal("helpers not stopped")
	}
}

// TestForwardingLatencyRecorded checks that every forwarded packet is
// counted in the Stats latency histogram.
func TestForwardingLatencyRecorded(t *testing.T) {
	f := newFanOutFixture(t, 3)
	_, before, _ := f.up.stats.Latency()
	for i := 0; i < 20; i++ {
		f.next()
	}
	_, after, sum := f.up.stats.Latency()
	if after-before < 20 || sum <= 0 {
		t.Fatalf("%d observations, sum %v s", after-before, sum)
	}
}
