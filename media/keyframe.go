package media

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// KeyframeFunc reports whether an RTP payload starts a keyframe, i.e. a
// picture a decoder can start from without earlier pictures. It looks only
// at the payload (after the RTP header and any padding) and never allocates.
type KeyframeFunc func(payload []byte) bool

// KeyframeDetector returns the KeyframeFunc for a codec MIME type
// (case-insensitive, e.g. "video/VP8"), or nil for codecs without keyframes
// (audio) and codecs ringsfu does not parse.
func KeyframeDetector(mimeType string) KeyframeFunc {
	switch {
	case strings.EqualFold(mimeType, webrtc.MimeTypeVP8):
		return IsVP8Keyframe
	case strings.EqualFold(mimeType, webrtc.MimeTypeVP9):
		return IsVP9Keyframe
	case strings.EqualFold(mimeType, webrtc.MimeTypeH264):
		return IsH264Keyframe
	case strings.EqualFold(mimeType, webrtc.MimeTypeAV1):
		return IsAV1Keyframe
	default:
		return nil
	}
}
