package media

import (
	"encoding/binary"
	"testing"
)

// keyframeDetectors are the codec parsers the forwarding path runs on every
// received video payload.
var keyframeDetectors = []struct {
	name string
	fn   KeyframeFunc
}{
	{"VP8", IsVP8Keyframe},
	{"VP9", IsVP9Keyframe},
	{"H264", IsH264Keyframe},
	{"AV1", IsAV1Keyframe},
}

// FuzzKeyframe feeds arbitrary payloads to the VP8, VP9, H.264 and AV1
// keyframe detectors (publishers choose these bytes). They must not panic,
// must not call an empty payload a keyframe, and must be prefix-monotone:
// each decides from the payload's leading descriptor and NAL/OBU headers,
// so a keyframe stays a keyframe when more bytes follow it. The VP8 answer
// is also checked against RFC 7741's S=1, PID=0 rule.
func FuzzKeyframe(f *testing.F) {
	for _, s := range [][]byte{
		{}, {0x10, 0x00, 0x9d, 0x01, 0x2a}, {0x90, 0xE0, 0x81, 0x23, 0x07, 0x40, 0x00}, {0x90, 0x80},
		{0x88, 0x81, 0x02}, {0xA8, 0x12, 0x02, 0x00}, {0xA8},
		{0x65, 0x88}, {0x67, 0x42}, {0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x65, 0x88}, {0x18, 0xff, 0xff, 0x65},
		{0x1c, 0x85}, {0x1c, 0x45}, {0x1c},
		{0x08, 0x00}, {0x10, 0x0a, 0x0b, 0x00}, {0x00, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x08},
	} {
		f.Add(s, []byte{0x00})
	}
	f.Fuzz(func(t *testing.T, payload, tail []byte) {
		for _, d := range keyframeDetectors {
			key := d.fn(payload)
			if key && len(payload) == 0 {
				t.Fatalf("%s: empty payload is a keyframe", d.name)
			}
			if key && !d.fn(append(payload[:len(payload):len(payload)], tail...)) {
				t.Fatalf("%s: %x is a keyframe but not with %x appended", d.name, payload, tail)
			}
		}
		if IsVP8Keyframe(payload) && (payload[0]&0x10 == 0 || payload[0]&0x07 != 0) {
			t.Fatalf("VP8: %x is not the start of partition 0 but was called a keyframe", payload)
		}
		if IsVP9Keyframe(payload) && (payload[0]&0x40 != 0 || payload[0]&0x08 == 0) {
			t.Fatalf("VP9: %x is inter-predicted or not a frame start but was called a keyframe", payload)
		}
	})
}

// FuzzRewriter drives a Rewriter with arbitrary sequence numbers,
// timestamps, arrival times and source switches (a publisher chooses the
// first two) and checks its contract:
//   - the first packet after a Switch gets the next outgoing sequence
//     number and a newer timestamp;
//   - every forwarded packet is translated by the current Mapping;
//   - no packet older than its source's first is forwarded;
//   - Last reports the highest outgoing sequence number forwarded.
func FuzzRewriter(f *testing.F) {
	f.Add(uint32(90000), []byte{0, 0, 100, 0, 0, 0, 5, 0, 0, 101, 0, 0, 0, 9, 1, 0, 7, 0, 0, 1, 0})
	f.Add(uint32(48000), []byte{0, 0xff, 0xff, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xfe, 0, 0, 0, 0})
	f.Add(uint32(0), []byte{1, 0x80, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, clockRate uint32, ops []byte) {
		rw := NewRewriter(clockRate)
		var arrival int64
		started := false
		for len(ops) >= 8 {
			op := ops[0]
			seq := binary.BigEndian.Uint16(ops[1:])
			ts := binary.BigEndian.Uint32(ops[3:])
			arrival += int64(ops[7]) * 1e6
			ops = ops[8:]
			if op&0x01 != 0 {
				rw.Switch()
			}
			lastSeq, lastTS, _ := rw.Last()
			wasSwitch := started && rw.newSource
			outSeq, outTS, ok := rw.Rewrite(seq, ts, arrival)
			m := rw.Mapping()
			if !ok {
				if !started || wasSwitch {
					t.Fatal("the first packet of a source was refused")
				}
				if int16(seq-m.BaseSeq) >= 0 {
					t.Fatalf("seq %d refused though not older than base %d", seq, m.BaseSeq)
				}
				continue
			}
			if wasSwitch && (outSeq != lastSeq+1 || int32(outTS-lastTS) <= 0) {
				t.Fatalf("after a switch: out %d/%d, last %d/%d", outSeq, outTS, lastSeq, lastTS)
			}
			if outSeq != seq+m.SeqOffset || outTS != ts+m.TSOffset {
				t.Fatalf("seq %d ts %d -> %d %d, not by the mapping %+v", seq, ts, outSeq, outTS, m)
			}
			if s, _, ok := rw.Last(); !ok || int16(outSeq-s) > 0 {
				t.Fatalf("Last %d below forwarded %d", s, outSeq)
			}
			started = true
		}
	})
}
