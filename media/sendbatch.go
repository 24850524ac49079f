package media

import (
	"net"
	"net/netip"
)

// DatagramBatch collects datagrams for one socket and sends them with as
// few system calls as the platform allows: one sendmmsg(2) per Flush on
// Linux (sendbatch_linux.go), one write per datagram elsewhere. The
// buffers belong to the batch and are reused; a slot's buffer is allocated
// the first time it is used, so a batch only ever sized for one subscriber
// holds one buffer.
//
// A DatagramBatch belongs to one goroutine. The forwarding path fills a
// slot in place (Slot), encrypts into it, and commits it with its
// destination (Commit); Flush sends everything committed. Nothing is
// copied, locked or handed to another goroutine, and nothing is allocated
// once the slots exist.
type DatagramBatch struct {
	conn *net.UDPConn
	bufs [][]byte // slot buffers, len BatchBufSize each, allocated on first use
	lens []int
	dst  []netip.AddrPort
	n    int // committed datagrams

	sys batchSys // platform state (message headers)
}

const (
	// BatchMax is the most datagrams one batch holds (and one sendmmsg
	// carries).
	BatchMax = 64
	// BatchBufSize is a slot's size: a full packet buffer plus room for
	// the SRTP authentication tag and an RTX prefix.
	BatchBufSize = PacketBufferSize + 64
)

// NewDatagramBatch returns an empty batch writing to conn.
func NewDatagramBatch(conn *net.UDPConn) *DatagramBatch {
	b := &DatagramBatch{conn: conn, bufs: make([][]byte, BatchMax), lens: make([]int, BatchMax),
		dst: make([]netip.AddrPort, BatchMax)}
	b.sys.init(b)
	return b
}

// Slot returns the buffer of the next datagram (BatchBufSize long),
// flushing first when the batch is full.
func (b *DatagramBatch) Slot() []byte {
	if b.n == BatchMax {
		b.Flush()
	}
	if b.bufs[b.n] == nil {
		b.bufs[b.n] = make([]byte, BatchBufSize)
	}
	return b.bufs[b.n]
}

// Commit queues the first n bytes of the buffer Slot returned for addr, an
// IPv4 address.
func (b *DatagramBatch) Commit(n int, addr netip.AddrPort) {
	b.lens[b.n] = n
	b.dst[b.n] = addr
	b.n++
}

// Conn returns the socket the batch writes to.
func (b *DatagramBatch) Conn() *net.UDPConn { return b.conn }

// Len returns the number of datagrams waiting for Flush.
func (b *DatagramBatch) Len() int { return b.n }

// Flush sends every committed datagram and empties the batch. A datagram
// the kernel refuses is dropped, as a failed sendto would have lost it; it
// returns how many were handed to the kernel.
func (b *DatagramBatch) Flush() int {
	if b.n == 0 {
		return 0
	}
	sent := b.sys.send(b)
	b.n = 0
	return sent
}
