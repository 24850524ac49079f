package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
)

// BatchConn wraps the shared UDP socket handed to the ICE UDP mux so that
// writes leave in batches of up to batchSize datagrams per sendmmsg(2)
// system call instead of one sendto(2) each.
//
// A write copies the datagram into a pooled buffer, appends it to a queue
// and returns at once. One writer goroutine drains whatever is queued with
// ipv4.PacketConn.WriteBatch. Batching is natural: when the server is idle
// the writer is asleep and the first datagram wakes it at once, so a lone
// packet is not delayed; under load (an SFU fanning one packet out to
// hundreds of subscribers) the queue fills while the writer is in the
// kernel, and the next system call carries all of it. Order is preserved.
// When maxQueued datagrams are waiting the writers block (back-pressure), so
// nothing is dropped on the server.
//
// Reads go straight to the socket. BatchConn implements net.PacketConn and
// ice.AddrPortReaderWriter (the mux's allocation-free path).
type BatchConn struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn

	mu       sync.Mutex
	notFull  sync.Cond
	queue    []queuedDatagram // guarded by mu
	sleeping bool             // guarded by mu: the writer waits on wake
	closed   bool             // guarded by mu
	firstAt  time.Time        // guarded by mu: when the oldest queued datagram was queued

	queueDelay LatencyHistogram // per batch: oldest datagram's wait until sent

	wake chan struct{} // capacity 1
	done chan struct{} // closed when the writer goroutine has exited

	bufs BufferPool

	closeOnce sync.Once
	closeErr  error
}

type queuedDatagram struct {
	buf  *[]byte
	n    int
	addr netip.AddrPort
}

const (
	// batchSize is the most datagrams one sendmmsg carries.
	batchSize = 128
	// maxQueued bounds the queue; writers block beyond it. Under CPU
	// saturation the writer goroutine waits for a processor while the
	// fan-out keeps queueing: with 8192 the oldest datagram waited 100+ ms
	// (W2 at full size on 2 shared cores); 2048 is five 400-subscriber
	// fan-outs, and back-pressure makes the fan-out yield to the writer.
	maxQueued = 2048
	// socketBuffer is the SO_SNDBUF/SO_RCVBUF asked for (the kernel caps it
	// at net.core.[rw]mem_max).
	socketBuffer = 4 << 20
)

var errBatchConnClosed = errors.New("media: batch conn closed")

// NewBatchConn wraps conn and starts its writer goroutine; Close stops it
// and closes conn.
func NewBatchConn(conn *net.UDPConn) *BatchConn {
	_ = conn.SetWriteBuffer(socketBuffer)
	_ = conn.SetReadBuffer(socketBuffer)
	c := &BatchConn{
		conn:  conn,
		pc:    ipv4.NewPacketConn(conn),
		queue: make([]queuedDatagram, 0, 1024),
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	c.notFull.L = &c.mu
	go c.writeLoop()
	return c
}

// WriteToAddrPort queues b for addr. It returns len(b) once queued; a later
// send failure (which UDP does not report reliably anyway) is not returned.
func (c *BatchConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if len(b) > PacketBufferSize || !addr.Addr().Unmap().Is4() {
		// Not expected from WebRTC over UDP4; send it unbatched.
		return c.conn.WriteToUDPAddrPort(b, addr)
	}
	buf := c.bufs.Get()
	n := copy(*buf, b)
	c.mu.Lock()
	for len(c.queue) >= maxQueued && !c.closed {
		c.notFull.Wait()
	}
	if c.closed {
		c.mu.Unlock()
		c.bufs.Put(buf)
		return 0, net.ErrClosed
	}
	if len(c.queue) == 0 {
		c.firstAt = time.Now()
	}
	c.queue = append(c.queue, queuedDatagram{buf: buf, n: n, addr: addr})
	wake := c.sleeping
	c.sleeping = false
	c.mu.Unlock()
	if wake {
		c.wake <- struct{}{}
	}
	return n, nil
}

// WriteTo queues b for addr, which must be a *net.UDPAddr.
func (c *BatchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: net.InvalidAddrError("not a UDP address")}
	}
	return c.WriteToAddrPort(b, ua.AddrPort())
}

// writeLoop is the writer goroutine: it sleeps until something is queued,
// then takes the whole queue and sends it batchSize datagrams at a time.
func (c *BatchConn) writeLoop() {
	defer close(c.done)
	var (
		spare = make([]queuedDatagram, 0, 1024)
		msgs  = make([]ipv4.Message, batchSize)
		addrs = make([]net.UDPAddr, batchSize)
		bufs  = make([][]byte, batchSize)
	)
	for i := range msgs {
		addrs[i].IP = make(net.IP, 4)
		msgs[i].Addr = &addrs[i]
		msgs[i].Buffers = bufs[i : i+1 : i+1]
	}
	for {
		c.mu.Lock()
		for len(c.queue) == 0 {
			if c.closed {
				c.mu.Unlock()
				return
			}
			c.sleeping = true
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		full, firstAt := c.queue, c.firstAt
		c.queue = spare[:0]
		c.notFull.Broadcast()
		c.mu.Unlock()

		for batch := full; len(batch) > 0; {
			k := min(len(batch), batchSize)
			for i := 0; i < k; i++ {
				d := &batch[i]
				msgs[i].Buffers[0] = (*d.buf)[:d.n]
				a4 := d.addr.Addr().Unmap().As4()
				copy(addrs[i].IP, a4[:])
				addrs[i].Port = int(d.addr.Port())
			}
			c.send(msgs[:k])
			for i := 0; i < k; i++ {
				c.bufs.Put(batch[i].buf)
				batch[i] = queuedDatagram{}
			}
			batch = batch[k:]
		}
		c.queueDelay.Observe(time.Since(firstAt))
		spare = full[:0]
	}
}

// send writes msgs, retrying after a partial send; a datagram the kernel
// refuses is skipped, as a failed sendto would have lost it.
func (c *BatchConn) send(msgs []ipv4.Message) {
	for len(msgs) > 0 {
		n, err := c.pc.WriteBatch(msgs, 0)
		if err != nil && n <= 0 {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			n = 1
		}
		msgs = msgs[n:]
	}
}

// QueueDelay returns, per batch, how long its oldest datagram waited from
// being queued until its sendmmsg returned: the delay batching adds.
func (c *BatchConn) QueueDelay() LatencySnapshot { return c.queueDelay.Snapshot() }

// ReadFromAddrPort reads one datagram from the socket.
func (c *BatchConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.conn.ReadFromUDPAddrPort(b)
}

// ReadFrom reads one datagram from the socket.
func (c *BatchConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.conn.ReadFrom(b) }

// LocalAddr returns the socket's *net.UDPAddr.
func (c *BatchConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// SetDeadline sets the socket's read and write deadlines.
func (c *BatchConn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// SetReadDeadline sets the socket's read deadline.
func (c *BatchConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the socket's write deadline (the writer goroutine's
// system calls are subject to it).
func (c *BatchConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// Close flushes what is queued, stops the writer goroutine and closes the
// socket. It is idempotent.
func (c *BatchConn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		wake := c.sleeping
		c.sleeping = false
		c.notFull.Broadcast()
		c.mu.Unlock()
		if wake {
			c.wake <- struct{}{}
		}
		<-c.done
		c.closeErr = c.conn.Close()
	})
	return c.closeErr
}
