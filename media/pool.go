package media

import "sync"

// PacketBufferSize is the size of the buffers a BufferPool hands out: an
// Ethernet MTU, larger than any RTP packet WebRTC sends (Pion's default
// receive MTU is 1460).
const PacketBufferSize = 1500

// BufferPool is a sync.Pool of PacketBufferSize-byte buffers. It hands out
// pointers to slices so that putting a buffer back does not allocate. It is
// safe for concurrent use; the zero value is ready to use.
type BufferPool struct {
	pool sync.Pool
}

// Get returns a buffer of length PacketBufferSize. Its contents are
// undefined.
func (p *BufferPool) Get() *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		*b = (*b)[:PacketBufferSize]
		return b
	}
	b := make([]byte, PacketBufferSize)
	return &b
}

// Put returns a buffer obtained from Get. Buffers of another capacity are
// dropped. The caller must not use b afterwards.
func (p *BufferPool) Put(b *[]byte) {
	if b == nil || cap(*b) != PacketBufferSize {
		return
	}
	p.pool.Put(b)
}
