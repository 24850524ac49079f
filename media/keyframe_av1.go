package media

// AV1 OBU type of a sequence header (AV1 bitstream spec §6.2.2).
const av1OBUSequenceHeader = 1

// IsAV1Keyframe reports whether payload starts an AV1 key frame.
//
// AV1 RTP payload format (AOMedia, §4.4): the aggregation header is
// Z|Y|W(2)|N|-|-|-. N=1 marks the first packet of a coded video sequence,
// which begins with a key frame; that is the primary signal. As a fallback
// for senders that do not set N, a packet whose first OBU element starts a
// new OBU (Z=0) that is a sequence header (which precedes every key frame
// in WebRTC streams) also counts. The first OBU element is length-prefixed
// (LEB128) unless W=1, in which case it fills the packet.
func IsAV1Keyframe(payload []byte) bool {
	if len(payload) < 2 {
		return false
	}
	agg := payload[0]
	if agg&0x08 != 0 { // N
		return true
	}
	if agg&0x80 != 0 { // Z: first element continues an OBU
		return false
	}
	i := 1
	if w := (agg >> 4) & 0x03; w != 1 {
		// LEB128 length of the first OBU element (at most 8 bytes).
		for n := 0; ; n++ {
			if i >= len(payload) || n == 8 {
				return false
			}
			b := payload[i]
			i++
			if b&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(payload) {
		return false
	}
	obuType := (payload[i] >> 3) & 0x0F
	return obuType == av1OBUSequenceHeader
}
