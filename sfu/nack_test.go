package sfu

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// dropOnce is a client-side interceptor that swallows one incoming media
// packet (the dropAt-th of the first video stream) before the NACK
// generator sees it, as if the network had lost it.
type dropOnce struct {
	interceptor.NoOp
	dropAt  int32
	seen    atomic.Int32
	dropped atomic.Int32 // sequence number + 1 of the dropped packet
}

func (d *dropOnce) NewInterceptor(string) (interceptor.Interceptor, error) { return d, nil }

func (d *dropOnce) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if !strings.EqualFold(info.MimeType, "video/VP8") {
		return r
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := r.Read(b, a)
			if err != nil || d.dropped.Load() != 0 {
				return n, attr, err
			}
			if d.seen.Add(1) != d.dropAt {
				return n, attr, err
			}
			var h rtp.Header
			if _, herr := h.Unmarshal(b[:n]); herr == nil {
				d.dropped.Store(int32(h.SequenceNumber) + 1)
			}
		}
	})
}

// TestNACKRetransmission proves that a packet lost on the way to a
// subscriber is retransmitted by the server (from the UpTrack layer's
// shared retransmission ring, over RTX) when the subscriber NACKs it, with
// its payload unchanged.
func TestNACKRetransmission(t *testing.T) {
	drop := &dropOnce{dropAt: 30}
	testNACKRetransmission(t, newTestEnv(t, drop), drop)
}

// testNACKRetransmission is TestNACKRetransmission's body in env, whose
// clients run drop; it returns the subscriber's DownTrack.
func testNACKRetransmission(t *testing.T, env *testEnv, drop *dropOnce) *DownTrack {
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, pt, up := env.publishVideo(alice, 10*time.Millisecond)
	sub := env.newSubscriber(bob, false)
	down, err := bob.Subscribe(up, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	waitFor(t, waitTimeout, "a packet dropped", func() bool { return drop.dropped.Load() != 0 })
	lost := uint16(drop.dropped.Load() - 1)

	var got *recvPacket
	waitFor(t, 3*time.Second, "the lost packet to be retransmitted", func() bool {
		for _, p := range rt.packets() {
			if p.header.SequenceNumber == lost {
				got = &p
				return true
			}
		}
		return false
	})
	_, frame, _ := parseVP8Payload(got.payload)
	if want := pt.layers[0].sentPayload(frame); !bytes.Equal(got.payload, want) {
		t.Fatalf("retransmitted payload %x, sent %x", got.payload, want)
	}
	if down.PacketsRetransmitted() == 0 {
		t.Fatal("the server's DownTrack retransmitted nothing")
	}
	// It arrived after packets that followed it: a repair, not the original.
	pkts := rt.packets()
	for i, p := range pkts {
		if p.header.SequenceNumber == lost {
			if i == 0 || pkts[i-1].header.SequenceNumber != lost-1 {
				return down
			}
		}
	}
	t.Fatal("the lost packet arrived in order, so it was not retransmitted")
	return nil
}
