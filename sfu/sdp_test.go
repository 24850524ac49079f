package sfu

import (
	"slices"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

func TestSimulcastRIDs(t *testing.T) {
	tests := []struct {
		name  string
		attrs []string
		want  []string
	}{
		{"no simulcast", nil, nil},
		{"simulcast line", []string{"rid:f send", "rid:h send", "rid:q send", "simulcast:send f;h;q"}, []string{"q", "h", "f"}},
		{"paused and alternatives", []string{"simulcast:send ~q;h,x;f"}, []string{"q", "h", "f"}},
		{"rid lines only", []string{"rid:h send", "rid:q send", "rid:z recv"}, []string{"q", "h"}},
		{"unknown names keep order", []string{"simulcast:send lo;mid;hi"}, []string{"lo", "mid", "hi"}},
		{"recv only ignored", []string{"simulcast:recv q;h;f"}, nil},
		{"capped at three", []string{"simulcast:send a;b;c;d"}, []string{"a", "b", "c"}},
		{"repeated rids once", []string{"simulcast:send h;0;0", "rid:0 send"}, []string{"h", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &sdp.MediaDescription{}
			for _, a := range tt.attrs {
				k, v, _ := strings.Cut(a, ":")
				m.Attributes = append(m.Attributes, sdp.Attribute{Key: k, Value: v})
			}
			if got := simulcastRIDs(m); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRIDRank(t *testing.T) {
	tests := []struct {
		rids []string
		want []int
	}{
		{nil, []int{2}},
		{[]string{"q", "h", "f"}, []int{0, 1, 2}},
		{[]string{"q", "f"}, []int{0, 2}},
		{[]string{"lo", "hi"}, []int{1, 2}},
		{[]string{"h", "0", "x"}, []int{0, 1, 2}},
		{[]string{"q", "hi"}, []int{1, 2}},
	}
	for _, tt := range tests {
		n := max(1, len(tt.rids))
		for i := 0; i < n; i++ {
			if got := ridRank(tt.rids, i); got != tt.want[i] {
				t.Fatalf("ridRank(%v, %d) = %d, want %d", tt.rids, i, got, tt.want[i])
			}
		}
	}
}

func TestWithGoogleBitrates(t *testing.T) {
	in := strings.Join([]string{
		"v=0",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111",
		"a=rtpmap:111 opus/48000/2",
		"a=fmtp:111 minptime=10;useinbandfec=1",
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97 106",
		"a=rtpmap:96 VP8/90000",
		"a=rtcp-fb:96 nack",
		"a=rtpmap:97 rtx/90000",
		"a=fmtp:97 apt=96",
		"a=rtpmap:106 H264/90000",
		"a=fmtp:106 packetization-mode=1;profile-level-id=42e01f",
		"",
	}, "\r\n")
	want := strings.Join([]string{
		"v=0",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111",
		"a=rtpmap:111 opus/48000/2",
		"a=fmtp:111 minptime=10;useinbandfec=1",
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97 106",
		"a=rtpmap:96 VP8/90000",
		"a=fmtp:96 x-google-start-bitrate=1000;x-google-min-bitrate=300",
		"a=rtcp-fb:96 nack",
		"a=rtpmap:97 rtx/90000",
		"a=fmtp:97 apt=96",
		"a=rtpmap:106 H264/90000",
		"a=fmtp:106 packetization-mode=1;profile-level-id=42e01f;x-google-start-bitrate=1000;x-google-min-bitrate=300",
		"",
	}, "\r\n")
	if got := withGoogleBitrates(in, 1000, 300); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := withGoogleBitrates(in, 0, 0); got != in {
		t.Fatal("zero bitrates changed the SDP")
	}
	if got := withGoogleBitrates(in, 800, 0); !strings.Contains(got, "a=fmtp:96 x-google-start-bitrate=800\r\n") {
		t.Fatalf("start only:\n%s", got)
	}
}
