package client

import (
	"encoding/binary"

	"github.com/ringsfu/ringsfu/media"
)

// VP8 helpers for applications and tests that look at received media.

// VP8FrameSize returns the size of a VP8 key frame (RFC 6386 §9.1: a
// 3-byte frame tag with the inverse key frame bit, the start code
// 9d 01 2a, then 14-bit width and height). ok is false for an inter frame
// or a truncated one.
func VP8FrameSize(frame []byte) (width, height int, ok bool) {
	if len(frame) < 10 || frame[0]&0x01 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	return int(binary.LittleEndian.Uint16(frame[6:8]) & 0x3fff), int(binary.LittleEndian.Uint16(frame[8:10]) & 0x3fff), true
}

// VP8KeyframeSize returns the size of the key frame an RTP payload starts
// (RFC 7741); ok is false if it starts none.
func VP8KeyframeSize(payload []byte) (width, height int, ok bool) {
	if !media.IsVP8Keyframe(payload) {
		return 0, 0, false
	}
	n := VP8DescriptorLen(payload)
	if n <= 0 {
		return 0, 0, false
	}
	return VP8FrameSize(payload[n:])
}

// VP8DescriptorLen returns the length of an RTP payload's VP8 payload
// descriptor (RFC 7741 §4.2), or -1 if it is truncated.
func VP8DescriptorLen(payload []byte) int {
	if len(payload) < 1 {
		return -1
	}
	i := 1
	if payload[0]&0x80 != 0 { // X
		if len(payload) <= i {
			return -1
		}
		x := payload[i]
		i++
		if x&0x80 != 0 { // I: PictureID, 7 or 15 bits
			if len(payload) <= i {
				return -1
			}
			if payload[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID|Y|KEYIDX
			i++
		}
	}
	if i > len(payload) {
		return -1
	}
	return i
}
