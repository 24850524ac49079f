package media

// AbsSendTime returns the 24-bit abs-send-time value for a send time given
// in Unix nanoseconds: seconds modulo 64 in 6.18 fixed point
// (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time). The value is
// defined on the NTP timescale, but the NTP epoch (1900) lies a whole
// multiple of 64 s before the Unix epoch (2208988800 = 64 × 34515450), so
// Unix time yields the same bits.
func AbsSendTime(unixNano int64) uint32 {
	const second = int64(1e9)
	sec := unixNano / second
	frac := unixNano % second
	return uint32(sec&63)<<18 | uint32((frac<<18)/second)
}

// PutAbsSendTime writes v (from AbsSendTime) big-endian into b[0:3].
func PutAbsSendTime(b []byte, v uint32) {
	_ = b[2]
	b[0] = byte(v >> 16)
	b[1] = byte(v >> 8)
	b[2] = byte(v)
}
