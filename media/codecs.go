package media

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Codec fmtp lines. H.264 profile-level-ids follow RFC 6184 §8.1:
// 42e01f is Constrained Baseline level 3.1 (what browsers prefer), 42001f
// Baseline 3.1, 4d001f Main 3.1 and 64001f High 3.1.
const (
	fmtpOpus     = "minptime=10;useinbandfec=1"
	fmtpH264CB1  = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	fmtpH264B1   = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"
	fmtpH264CB0  = "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f"
	fmtpH264B0   = "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f"
	fmtpH264Main = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"
	fmtpH264High = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f"
)

// videoFeedback is the RTCP feedback every video codec offers (RFC 4585
// nack and nack pli, RFC 5104 ccm fir, REMB and transport-wide CC).
func videoFeedback() []webrtc.RTCPFeedback {
	return []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBGoogREMB},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
}

// AudioCodecs returns the audio codecs ringsfu negotiates: Opus only, with
// in-band FEC. It returns a fresh slice on every call.
func AudioCodecs() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  fmtpOpus,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: 111,
	}}
}

// VideoCodecs returns the video codecs ringsfu negotiates, each followed by
// its RTX (RFC 4588) companion with apt= pointing at it: VP8, VP9 profile 0,
// H.264 in the common profile-level-ids and packetization modes, and AV1.
// It returns a fresh slice on every call.
func VideoCodecs() []webrtc.RTPCodecParameters {
	type entry struct {
		mime, fmtp string
		pt, rtx    webrtc.PayloadType
	}
	entries := []entry{
		{webrtc.MimeTypeVP8, "", 96, 97},
		{webrtc.MimeTypeVP9, "profile-id=0", 98, 99},
		{webrtc.MimeTypeH264, fmtpH264CB1, 106, 107},
		{webrtc.MimeTypeH264, fmtpH264B1, 102, 103},
		{webrtc.MimeTypeH264, fmtpH264CB0, 108, 109},
		{webrtc.MimeTypeH264, fmtpH264B0, 104, 105},
		{webrtc.MimeTypeH264, fmtpH264Main, 127, 125},
		{webrtc.MimeTypeH264, fmtpH264High, 112, 113},
		{webrtc.MimeTypeAV1, "", 45, 46},
	}
	out := make([]webrtc.RTPCodecParameters, 0, 2*len(entries))
	for _, e := range entries {
		out = append(out,
			webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{
					MimeType: e.mime, ClockRate: 90000, SDPFmtpLine: e.fmtp,
					RTCPFeedback: videoFeedback(),
				},
				PayloadType: e.pt,
			},
			webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{
					MimeType: webrtc.MimeTypeRTX, ClockRate: 90000,
					SDPFmtpLine: fmt.Sprintf("apt=%d", e.pt),
				},
				PayloadType: e.rtx,
			},
		)
	}
	return out
}

// RegisterCodecs registers AudioCodecs and VideoCodecs with m.
func RegisterCodecs(m *webrtc.MediaEngine) error {
	for _, c := range AudioCodecs() {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return fmt.Errorf("media: register %s: %w", c.MimeType, err)
		}
	}
	for _, c := range VideoCodecs() {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("media: register %s: %w", c.MimeType, err)
		}
	}
	return nil
}
