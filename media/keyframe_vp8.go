package media

// IsVP8Keyframe reports whether payload is the first packet of a VP8 key
// frame.
//
// RFC 7741 §4.2: the payload descriptor starts with X|R|N|S|R|PID; X adds
// an I|L|T|K|RSV byte, I a 7- or 15-bit PictureID (M bit), L a TL0PICIDX
// byte, T or K a TID|Y|KEYIDX byte. The VP8 payload header (§4.3) follows
// only in the packet with S=1 and PID=0; the low bit of its first byte is
// the inverse key frame flag P (0 = key frame).
func IsVP8Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	b0 := payload[0]
	if b0&0x10 == 0 || b0&0x07 != 0 { // S=1 and PID=0: start of partition 0
		return false
	}
	i := 1
	if b0&0x80 != 0 { // X
		if len(payload) <= i {
			return false
		}
		x := payload[i]
		i++
		if x&0x80 != 0 { // I: PictureID
			if len(payload) <= i {
				return false
			}
			if payload[i]&0x80 != 0 { // M: 15-bit PictureID
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID|Y|KEYIDX
			i++
		}
	}
	if len(payload) <= i {
		return false
	}
	return payload[i]&0x01 == 0
}
