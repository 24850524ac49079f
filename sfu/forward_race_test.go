package sfu

import (
	"runtime"
	"sync"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// recordingSink records what a DownTrack writes. It has no lock on
// purpose: the ownership protocol of forward.go must serialize its writers,
// and the race detector reports it if it does not.
type recordingSink struct {
	seqs   []uint16
	layers []int
	keys   []bool
}

func (s *recordingSink) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	l, _, key := parseVP8Payload(payload)
	s.seqs = append(s.seqs, h.SequenceNumber)
	s.layers = append(s.layers, l)
	s.keys = append(s.keys, key)
	return 1, nil
}

func (s *recordingSink) Write(b []byte) (int, error) { return len(b), nil }

type simLayer struct{ ssrc webrtc.SSRC }

func (simLayer) Codec() webrtc.RTPCodecParameters { return fakeLayer{}.Codec() }
func (l simLayer) SSRC() webrtc.SSRC              { return l.ssrc }

// TestLayerHandoverUnderConcurrency runs three layer readers at full speed
// into one DownTrack while the control side keeps changing quality, pausing
// and muting. The subscriber's stream must stay one contiguous sequence
// with every layer change at a keyframe, and the writer must never be
// entered by two readers at once.
func TestLayerHandoverUnderConcurrency(t *testing.T) {
	up := newUpTrack(upTrackParams{id: "TR_race", kind: webrtc.RTPCodecTypeVideo, rids: []string{"q", "h", "f"}, log: zerolog.Nop()})
	for slot := 0; slot < 3; slot++ {
		if _, err := up.startLayer(slot, simLayer{ssrc: webrtc.SSRC(10 + slot)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	sink := &recordingSink{}
	d := newDownTrack(up, nil, "pub", zerolog.Nop())
	if _, err := d.Bind(sinkContext{ssrc: 99, w: (*sinkWriter)(nil)}); err != nil {
		t.Fatal(err)
	}
	d.bind.Load().writer = sink // test-only: record instead of counting
	if err := up.addDownTrack(d); err != nil {
		t.Fatal(err)
	}
	d.retarget()

	const perLayer = 3000
	var readers, control sync.WaitGroup
	stop := make(chan struct{})
	for slot := 0; slot < 3; slot++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var pkt rtp.Packet
			for i := 0; i < perLayer; i++ {
				h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(slot*20000 + i),
					Timestamp: uint32(slot*1e6 + i*3000), SSRC: uint32(10 + slot)}
				raw, _ := (&rtp.Packet{Header: h, Payload: makeVP8Payload(slot, uint32(i), i%8 == 0)}).Marshal()
				up.handlePacket(slot, &pkt, raw)
				if i%64 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	control.Add(1)
	go func() {
		defer control.Done()
		qs := []Quality{QualityLow, QualityHigh, QualityMedium, QualityOff, QualityHigh, QualityLow}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = d.setQuality(qs[i%len(qs)])
			if i%7 == 0 {
				up.SetMuted(true)
				up.SetMuted(false)
			}
			runtime.Gosched()
		}
	}()
	readers.Wait()
	close(stop)
	control.Wait()

	if len(sink.seqs) < 100 {
		t.Fatalf("only %d packets forwarded", len(sink.seqs))
	}
	if !sink.keys[0] {
		t.Fatal("stream did not start at a keyframe")
	}
	switches := 0
	for i := 1; i < len(sink.seqs); i++ {
		if sink.layers[i] != sink.layers[i-1] {
			switches++
		}
		if sink.seqs[i] != sink.seqs[i-1]+1 {
			t.Fatalf("packet %d: seq %d after %d", i, sink.seqs[i], sink.seqs[i-1])
		}
		if sink.layers[i] != sink.layers[i-1] && !sink.keys[i] {
			t.Fatalf("packet %d: layer %d→%d not at a keyframe", i, sink.layers[i-1], sink.layers[i])
		}
	}
	if switches < 3 {
		t.Fatalf("only %d layer switches in %d packets; the test did not exercise the hand-over", switches, len(sink.seqs))
	}
	t.Logf("%d packets, %d layer switches", len(sink.seqs), switches)
}
