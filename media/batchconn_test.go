package media

import (
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"
)

// TestBatchConnDeliversInOrder sends bursts from several goroutines through
// a BatchConn to a loopback receiver: every datagram arrives intact, and
// each sender's datagrams arrive in the order written.
func TestBatchConnDeliversInOrder(t *testing.T) {
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	rx, err := net.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	_ = rx.SetReadBuffer(4 << 20)
	tx, err := net.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	c := NewBatchConn(tx)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()

	const senders, each = 4, 500
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 200)
			for i := 0; i < each; i++ {
				binary.BigEndian.PutUint16(b[0:], uint16(s))
				binary.BigEndian.PutUint16(b[2:], uint16(i))
				if n, err := c.WriteToAddrPort(b, to); err != nil || n != len(b) {
					t.Errorf("write: %d %v", n, err)
					return
				}
				if i%100 == 99 {
					time.Sleep(time.Millisecond) // let the writer go idle now and then
				}
			}
		}()
	}
	next := make([]int, senders)
	buf := make([]byte, 1500)
	_ = rx.SetReadDeadline(time.Now().Add(10 * time.Second))
	for got := 0; got < senders*each; got++ {
		n, _, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v", got, err)
		}
		if n != 200 {
			t.Fatalf("datagram of %d bytes", n)
		}
		s, i := binary.BigEndian.Uint16(buf[0:]), int(binary.BigEndian.Uint16(buf[2:]))
		if i != next[s] {
			t.Fatalf("sender %d: datagram %d, want %d", s, i, next[s])
		}
		next[s]++
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second close:", err)
	}
	if _, err := c.WriteToAddrPort(buf[:10], to); err == nil {
		t.Fatal("write after close succeeded")
	}
}
