package media

import "testing"

func TestBufferPool(t *testing.T) {
	var p BufferPool
	b := p.Get()
	if len(*b) != PacketBufferSize {
		t.Fatalf("len = %d, want %d", len(*b), PacketBufferSize)
	}
	*b = (*b)[:10]
	p.Put(b)
	b2 := p.Get()
	if len(*b2) != PacketBufferSize {
		t.Fatalf("reused buffer len = %d, want %d", len(*b2), PacketBufferSize)
	}
	p.Put(b2)

	small := make([]byte, 10)
	p.Put(&small) // foreign buffers are dropped
	p.Put(nil)
	if got := p.Get(); len(*got) != PacketBufferSize {
		t.Fatalf("len after foreign put = %d", len(*got))
	}
}

func TestBufferPoolNoAllocsWhenWarm(t *testing.T) {
	var p BufferPool
	p.Put(p.Get())
	n := testing.AllocsPerRun(1000, func() { p.Put(p.Get()) })
	// sync.Pool may drop items during GC; allow a rare miss.
	if n > 0.01 {
		t.Fatalf("Get/Put allocates %v times per call", n)
	}
}
