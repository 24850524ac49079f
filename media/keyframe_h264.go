package media

// H.264 NAL unit types (ITU-T H.264 Table 7-1) and RTP packetization types
// (RFC 6184 §5.2).
const (
	h264NALIDR   = 5
	h264NALSPS   = 7
	h264NALSTAPA = 24
	h264NALFUA   = 28
)

// IsH264Keyframe reports whether payload starts an H.264 key frame: it
// carries an SPS (sent right before an IDR picture) or the start of an IDR
// slice.
//
// RFC 6184 §5.2: the low five bits of the first byte are the NAL unit type.
// A single NAL unit packet (types 1-23) is checked directly; a STAP-A (24,
// §5.7.1) holds 16-bit size-prefixed NAL units, each checked; an FU-A (28,
// §5.8) counts only in its first fragment (S bit of the FU header), whose
// low five bits give the fragmented unit's type. Interleaved-mode packets
// (STAP-B, MTAP, FU-B) are not used by WebRTC and are reported as false.
func IsH264Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	switch t := payload[0] & 0x1F; {
	case t == h264NALIDR || t == h264NALSPS:
		return true
	case t == h264NALSTAPA:
		for i := 1; i+2 < len(payload); {
			size := int(payload[i])<<8 | int(payload[i+1])
			i += 2
			if size == 0 || i+size > len(payload) {
				return false
			}
			if nt := payload[i] & 0x1F; nt == h264NALIDR || nt == h264NALSPS {
				return true
			}
			i += size
		}
		return false
	case t == h264NALFUA:
		if len(payload) < 2 {
			return false
		}
		fu := payload[1]
		return fu&0x80 != 0 && (fu&0x1F == h264NALIDR || fu&0x1F == h264NALSPS)
	default:
		return false
	}
}
