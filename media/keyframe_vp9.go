package media

// IsVP9Keyframe reports whether payload is the first packet of a VP9 key
// frame (of the base spatial layer).
//
// RFC 9628 §4.2: the first byte of the payload descriptor is
// I|P|L|F|B|E|V|Z. P=0 means the picture uses no inter-picture prediction
// and B=1 marks the start of a frame. With L=1 the layer indices byte
// (TID|U|SID|D) follows the PictureID; a key picture is one whose spatial
// layer SID is 0 (upper spatial layers of a key picture may still predict
// from the base layer, RFC 9628 §4.2 "P").
func IsVP9Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	b0 := payload[0]
	if b0&0x40 != 0 || b0&0x08 == 0 { // P set, or not the beginning of a frame
		return false
	}
	i := 1
	if b0&0x80 != 0 { // I: PictureID, 7 or 15 bits (M)
		if len(payload) <= i {
			return false
		}
		if payload[i]&0x80 != 0 {
			i += 2
		} else {
			i++
		}
	}
	if b0&0x20 != 0 { // L: layer indices
		if len(payload) <= i {
			return false
		}
		if sid := (payload[i] >> 1) & 0x07; sid != 0 {
			return false
		}
	}
	return true
}
