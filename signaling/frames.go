package signaling

import (
	"encoding/binary"
	"net"
)

// frameWriter writes a batch of text messages as WebSocket frames (RFC 6455
// §5.2; server frames are unmasked) in one vectored write. Every frame is
// complete within that one write, and the socket serializes whole writes,
// so frames never interleave with the control frames gorilla writes itself
// (pongs, and the 1009 close of an oversize message).
type frameWriter struct {
	headers []byte
	bufs    net.Buffers
}

// maxFrameHeader is the largest header of an unmasked frame.
const maxFrameHeader = 10

// appendText adds one text message as a single final frame.
func (w *frameWriter) appendText(payload []byte) {
	start := len(w.headers)
	n := len(payload)
	switch {
	case n < 126:
		w.headers = append(w.headers, 0x81, byte(n))
	case n <= 0xffff:
		w.headers = append(w.headers, 0x81, 126, 0, 0)
		binary.BigEndian.PutUint16(w.headers[start+2:], uint16(n))
	default:
		w.headers = append(w.headers, 0x81, 127, 0, 0, 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint64(w.headers[start+2:], uint64(n))
	}
	w.bufs = append(w.bufs, w.headers[start:len(w.headers):len(w.headers)], payload)
}

// reset prepares for a batch of up to n messages. Headers are preallocated
// so that slices of it stay valid while the batch is built.
func (w *frameWriter) reset(n int) {
	if cap(w.headers) < n*maxFrameHeader {
		w.headers = make([]byte, 0, n*maxFrameHeader)
	}
	w.headers = w.headers[:0]
	clear(w.bufs)
	w.bufs = w.bufs[:0]
}

// flush writes the batch with one writev.
func (w *frameWriter) flush(c net.Conn) error {
	if len(w.bufs) == 0 {
		return nil
	}
	bufs := w.bufs // WriteTo consumes the slice header
	_, err := bufs.WriteTo(c)
	return err
}
