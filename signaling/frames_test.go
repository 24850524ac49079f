package signaling

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
)

// readFrame parses one unmasked frame (RFC 6455 §5.2).
func readFrame(r *bufio.Reader) (op byte, fin bool, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	if h[1]&0x80 != 0 {
		return 0, false, nil, io.ErrUnexpectedEOF // a server frame must not be masked
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if err != nil {
		return
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return
}

func TestFrameWriterWritesWholeTextFrames(t *testing.T) {
	server, peer := net.Pipe()
	msgs := [][]byte{[]byte(`{"type":"pong"}`), []byte(strings.Repeat("a", 125)), []byte(strings.Repeat("b", 126)),
		[]byte(strings.Repeat("c", 65535)), []byte(strings.Repeat("d", 70000)), {}}
	go func() {
		var fw frameWriter
		fw.reset(len(msgs))
		for _, m := range msgs {
			fw.appendText(m)
		}
		_ = fw.flush(server)
		server.Close()
	}()
	r := bufio.NewReader(peer)
	for i, want := range msgs {
		op, fin, got, err := readFrame(r)
		if err != nil || op != 1 || !fin || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: op %d fin %v len %d err %v; want text of %d bytes", i, op, fin, len(got), err, len(want))
		}
	}
	if _, _, _, err := readFrame(r); err != io.EOF {
		t.Fatalf("trailing data: %v", err)
	}
}
