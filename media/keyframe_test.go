package media

import "testing"

func TestIsVP8Keyframe(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"empty", nil, false},
		{"key, minimal descriptor", []byte{0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a}, true},
		{"delta, minimal descriptor", []byte{0x10, 0x01, 0x00, 0x00}, false},
		{"key but not start of partition", []byte{0x00, 0x00}, false},
		{"key but partition 1", []byte{0x11, 0x00}, false},
		{"key, 7-bit picture id", []byte{0x90, 0x80, 0x05, 0x00}, true},
		{"delta, 7-bit picture id", []byte{0x90, 0x80, 0x05, 0x01}, false},
		{"key, 15-bit picture id", []byte{0x90, 0x80, 0x81, 0x23, 0x00}, true},
		{"key, picture id + tl0picidx + tid", []byte{0x90, 0xE0, 0x81, 0x23, 0x07, 0x40, 0x00}, true},
		{"delta, picture id + tl0picidx + tid", []byte{0x90, 0xE0, 0x81, 0x23, 0x07, 0x40, 0x01}, false},
		{"key, keyidx only", []byte{0x90, 0x10, 0x03, 0x00}, true},
		{"truncated after X", []byte{0x90}, false},
		{"truncated picture id", []byte{0x90, 0x80}, false},
		{"truncated before payload header", []byte{0x90, 0x80, 0x81, 0x23}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsVP8Keyframe(tt.payload); got != tt.want {
				t.Fatalf("IsVP8Keyframe(%x) = %v, want %v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestIsVP9Keyframe(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"empty", nil, false},
		{"B set, P clear", []byte{0x08}, true},
		{"B set, P set", []byte{0x48}, false},
		{"not beginning of frame", []byte{0x00}, false},
		{"7-bit picture id", []byte{0x88, 0x12}, true},
		{"15-bit picture id", []byte{0x88, 0x81, 0x02}, true},
		{"layer indices sid 0", []byte{0xA8, 0x12, 0x00, 0x00}, true},
		{"layer indices sid 1", []byte{0xA8, 0x12, 0x02, 0x00}, false},
		{"inter frame with layers", []byte{0xE8, 0x12, 0x00}, false},
		{"truncated picture id", []byte{0x88}, false},
		{"truncated layer indices", []byte{0xA8, 0x12}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsVP9Keyframe(tt.payload); got != tt.want {
				t.Fatalf("IsVP9Keyframe(%x) = %v, want %v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestIsH264Keyframe(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"empty", nil, false},
		{"single IDR", []byte{0x65, 0x88, 0x84}, true},
		{"single SPS", []byte{0x67, 0x42, 0xe0, 0x1f}, true},
		{"single PPS", []byte{0x68, 0xce}, false},
		{"single non-IDR slice", []byte{0x41, 0x9a}, false},
		{"STAP-A SPS+PPS", []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"STAP-A PPS+IDR", []byte{0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88}, true},
		{"STAP-A SEI+slice", []byte{0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x41, 0x9a}, false},
		{"STAP-A truncated size", []byte{0x78, 0x00, 0x09, 0x65}, false},
		{"STAP-A zero size", []byte{0x78, 0x00, 0x00, 0x65}, false},
		{"FU-A start IDR", []byte{0x7c, 0x85, 0x88}, true},
		{"FU-A middle IDR", []byte{0x7c, 0x05, 0x88}, false},
		{"FU-A end IDR", []byte{0x7c, 0x45, 0x88}, false},
		{"FU-A start non-IDR", []byte{0x7c, 0x81, 0x9a}, false},
		{"FU-A truncated", []byte{0x7c}, false},
		{"FU-B ignored", []byte{0x7d, 0x85, 0x00, 0x01}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsH264Keyframe(tt.payload); got != tt.want {
				t.Fatalf("IsH264Keyframe(%x) = %v, want %v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestIsAV1Keyframe(t *testing.T) {
	// OBU headers: type in bits 6..3. Sequence header (1) = 0x08 (with
	// has_size_field clear), temporal delimiter (2) = 0x10, frame (6) = 0x30.
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"empty", nil, false},
		{"too short", []byte{0x08}, false},
		{"N bit", []byte{0x18, 0x30, 0x00}, true},
		{"W=1 sequence header", []byte{0x10, 0x08, 0x00}, true},
		{"W=1 frame OBU", []byte{0x10, 0x30, 0x00}, false},
		{"W=2 length-prefixed sequence header", []byte{0x20, 0x02, 0x08, 0x00, 0x30}, true},
		{"W=0 two-byte LEB128 length", []byte{0x00, 0x81, 0x01, 0x08, 0x00}, true},
		{"Z=1 continuation", []byte{0x90, 0x08, 0x00}, false},
		{"W=2 frame first", []byte{0x20, 0x02, 0x30, 0x00}, false},
		{"truncated LEB128", []byte{0x20, 0x80}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAV1Keyframe(tt.payload); got != tt.want {
				t.Fatalf("IsAV1Keyframe(%x) = %v, want %v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestKeyframeDetector(t *testing.T) {
	tests := []struct {
		mime    string
		payload []byte
		want    bool
		isNil   bool
	}{
		{mime: "video/VP8", payload: []byte{0x10, 0x00}, want: true},
		{mime: "video/vp8", payload: []byte{0x10, 0x01}, want: false},
		{mime: "video/VP9", payload: []byte{0x08}, want: true},
		{mime: "video/H264", payload: []byte{0x65}, want: true},
		{mime: "video/AV1", payload: []byte{0x08, 0x00}, want: true},
		{mime: "audio/opus", isNil: true},
		{mime: "video/H265", isNil: true},
	}
	for _, tt := range tests {
		f := KeyframeDetector(tt.mime)
		if (f == nil) != tt.isNil {
			t.Fatalf("KeyframeDetector(%q) nil = %v, want %v", tt.mime, f == nil, tt.isNil)
		}
		if f != nil && f(tt.payload) != tt.want {
			t.Fatalf("KeyframeDetector(%q)(%x) = %v, want %v", tt.mime, tt.payload, !tt.want, tt.want)
		}
	}
}

func TestKeyframeNoAllocs(t *testing.T) {
	p := []byte{0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88}
	if n := testing.AllocsPerRun(100, func() { _ = IsH264Keyframe(p) }); n != 0 {
		t.Fatalf("IsH264Keyframe allocates %v times", n)
	}
}
