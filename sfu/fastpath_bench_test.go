package sfu

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// encryptedFixture is a fanOutFixture whose DownTracks encrypt with real
// AES-GCM SRTP contexts and send through the fast path's DatagramBatch to
// a real loopback socket (rx).
type encryptedFixture struct {
	*fanOutFixture
	rx   *net.UDPConn
	key  []byte
	salt []byte
}

func newEncryptedFixture(tb testing.TB, n int) *encryptedFixture {
	tb.Helper()
	tx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tx.Close(); _ = rx.Close() })
	_ = rx.SetReadBuffer(4 << 20)
	key, salt := make([]byte, 16), make([]byte, 12)
	for i := range key {
		key[i] = byte(i)
	}
	out := media.NewSRTPOutFromKeys(srtp.ProtectionProfileAeadAes128Gcm, key, salt, nil)
	fp := &fastPeer{fp: media.NewFastPath(tx), out: out, tagLen: out.TagLen()}
	dst := netip.MustParseAddrPort(rx.LocalAddr().String())
	fp.remote.Store(&dst)
	peer := &Peer{}
	peer.fast.Store(fp)
	peer.subReady.Store(true)

	f := &fanOutFixture{}
	f.up = newUpTrack(upTrackParams{id: "TR_bench", kind: webrtc.RTPCodecTypeVideo, source: SourceCamera, log: zerolog.Nop()})
	tb.Cleanup(f.up.stopFanOut)
	f.up.startLayer(0, fakeLayer{}, 0) //nolint:errcheck // cannot fail on a fresh track
	for i := 0; i < n; i++ {
		d := newDownTrack(f.up, peer, "publisher", zerolog.Nop())
		sink := &sinkWriter{}
		if _, err := d.Bind(sinkContext{ssrc: webrtc.SSRC(1000 + i), w: sink}); err != nil {
			tb.Fatal(err)
		}
		if d.fast == nil {
			tb.Fatal("DownTrack without its own encryption")
		}
		if err := f.up.addDownTrack(d); err != nil {
			tb.Fatal(err)
		}
		d.retarget()
		f.downs = append(f.downs, d)
		f.sinks = append(f.sinks, sink)
	}
	base := newFanOutFixture(tb, 0)
	f.buf = base.buf
	f.buf[f.payloadOffset()+1] = 0x00 // a keyframe first
	f.up.handlePacket(0, &f.pkt, f.buf)
	f.buf[f.payloadOffset()+1] = 0x01
	return &encryptedFixture{fanOutFixture: f, rx: rx, key: key, salt: salt}
}

// BenchmarkFanOutEncrypted measures the whole fan-out of one received
// packet to N subscribers on the fast path: parse, rewrite, AES-GCM
// encryption in place with each subscriber's own context, and one
// sendmmsg per 64 datagrams to a real loopback socket (which nobody reads:
// the kernel's receive work without a reader's wake-up). From 64
// DownTracks on, the fan-out is split across helper goroutines, each with
// its own batch. Reports ns per packet per DownTrack; must not allocate.
func BenchmarkFanOutEncrypted(b *testing.B) {
	for _, n := range []int{1, 10, 100, 400} {
		b.Run(fmt.Sprintf("downtracks=%d", n), func(b *testing.B) {
			f := newEncryptedFixture(b, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(f.buf)))
			for b.Loop() {
				f.next()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/downtrack")
			if f.downs[n-1].fast.direct.Load() < uint64(b.N) {
				b.Fatalf("%d direct sends for %d iterations", f.downs[n-1].fast.direct.Load(), b.N)
			}
		})
	}
}

// TestFanOutEncryptedDecryptsAndDoesNotAllocate checks the benchmark's
// path: no allocation per packet, and what arrives at the socket decrypts
// (with the subscribers' keys, by SSRC) to the forwarded payload with each
// DownTrack's contiguous sequence.
func TestFanOutEncryptedDecryptsAndDoesNotAllocate(t *testing.T) {
	const n = 70 // above ParallelFanOutMin: the split path with helper batches
	f := newEncryptedFixture(t, n)
	f.next() // splits from now on
	if allocs := testing.AllocsPerRun(20, f.next); allocs != 0 {
		t.Fatalf("encrypted fan-out allocates %v times per packet", allocs)
	}
	dec, err := srtp.CreateContext(f.key, f.salt, srtp.ProtectionProfileAeadAes128Gcm)
	if err != nil {
		t.Fatal(err)
	}
	want := f.buf[f.payloadOffset():]
	last := map[uint32]uint16{}
	buf := make([]byte, 2000)
	total := n * 23 // keyframe, f.next, warm-up and 20 runs
	_ = f.rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; i < total; i++ {
		k, err := f.rx.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d of %d: %v", i, total, err)
		}
		var h rtp.Header
		plain, err := dec.DecryptRTP(nil, buf[:k], &h)
		if err != nil {
			t.Fatalf("datagram %d does not decrypt: %v", i, err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(plain); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[h.SSRC]; ok && h.SequenceNumber != prev+1 {
			t.Fatalf("ssrc %d: seq %d after %d", h.SSRC, h.SequenceNumber, prev)
		}
		last[h.SSRC] = h.SequenceNumber
		if len(p.Payload) != len(want) || string(p.Payload[2:]) != string(want[2:]) {
			t.Fatalf("payload differs")
		}
	}
	if len(last) != n {
		t.Fatalf("%d SSRCs received, want %d", len(last), n)
	}
}
