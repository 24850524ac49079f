package sfu

import (
	"io"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// fakeRemote replays packets, reporting for each the codec Pion would
// report after reading it.
type fakeRemote struct {
	kind   webrtc.RTPCodecType
	pkts   [][]byte
	codecs []webrtc.RTPCodecParameters
	i      int
}

func (f *fakeRemote) Read(b []byte) (int, interceptor.Attributes, error) {
	if f.i >= len(f.pkts) {
		return 0, nil, io.EOF
	}
	n := copy(b, f.pkts[f.i])
	f.i++
	return n, nil, nil
}

func (f *fakeRemote) Codec() webrtc.RTPCodecParameters { return f.codecs[f.i-1] }
func (f *fakeRemote) Kind() webrtc.RTPCodecType        { return f.kind }

// TestReadUntilCodecVerified covers README.md § Testing, pitfall 2: when the first
// packet of a video track is RTX, Pion v4.2.20 may report a wrong codec (even
// audio/PCMU); wiring must wait for a packet whose payload type maps to a
// media codec of the track's kind.
func TestReadUntilCodecVerified(t *testing.T) {
	vp8 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, PayloadType: 96}
	rtx := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX}, PayloadType: 97}
	pcmu := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU}, PayloadType: 0}
	pkt := func(pt byte, marker byte) []byte { return []byte{0x80, pt, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, marker} }

	tests := []struct {
		name    string
		f       *fakeRemote
		wantN   int
		wantErr bool
	}{
		{"media first", &fakeRemote{kind: webrtc.RTPCodecTypeVideo,
			pkts: [][]byte{pkt(96, 1)}, codecs: []webrtc.RTPCodecParameters{vp8}}, 13, false},
		{"rtx reported as PCMU first", &fakeRemote{kind: webrtc.RTPCodecTypeVideo,
			pkts:   [][]byte{pkt(97, 1), pkt(97, 2), pkt(96, 3)},
			codecs: []webrtc.RTPCodecParameters{pcmu, rtx, vp8}}, 13, false},
		{"payload type and codec disagree", &fakeRemote{kind: webrtc.RTPCodecTypeVideo,
			pkts:   [][]byte{pkt(97, 1), pkt(96, 2)},
			codecs: []webrtc.RTPCodecParameters{vp8, vp8}}, 13, false},
		{"ends before media", &fakeRemote{kind: webrtc.RTPCodecTypeVideo,
			pkts: [][]byte{pkt(97, 1)}, codecs: []webrtc.RTPCodecParameters{pcmu}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := make([]byte, 1500)
			n, err := readUntilCodecVerified(tt.f, buf)
			if (err != nil) != tt.wantErr || n != tt.wantN {
				t.Fatalf("n=%d err=%v", n, err)
			}
			if err == nil && (buf[1] != 96 || tt.f.Codec().MimeType != webrtc.MimeTypeVP8) {
				t.Fatalf("verified packet pt %d codec %s", buf[1], tt.f.Codec().MimeType)
			}
		})
	}
}
