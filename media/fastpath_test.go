package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestFastPathSelfTestPasses(t *testing.T) {
	eng, err := New(Config{RTCIP: "127.0.0.1", UDPPort: freeUDPPort(t), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	fp := eng.FastPath()
	if fp == nil {
		t.Fatal("no fast path with a shared socket")
	}
	if err := fp.SelfTest(); err != nil {
		t.Fatalf("self-test: %v", err)
	}
	if !fp.Ready() {
		t.Fatal("not ready after a passed self-test")
	}
}

func TestNoFastPathWithoutSharedSocket(t *testing.T) {
	eng, err := New(Config{RTCIP: "127.0.0.1", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if eng.FastPath() != nil {
		t.Fatal("fast path without a shared socket")
	}
}

func TestDatagramBatchSendsEveryDatagramInOrder(t *testing.T) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	dst := netip.MustParseAddrPort(rx.LocalAddr().String())
	b := NewDatagramBatch(tx)
	const total = BatchMax + 10 // forces a flush from Slot
	for i := 0; i < total; i++ {
		buf := b.Slot()
		buf[0], buf[1] = byte(i), byte(i>>8)
		b.Commit(2+i%7, dst)
	}
	if b.Len() != 10 {
		t.Fatalf("%d waiting after an implicit flush, want 10", b.Len())
	}
	if n := b.Flush(); n != 10 {
		t.Fatalf("flush sent %d", n)
	}
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	for i := 0; i < total; i++ {
		n, err := rx.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if n != 2+i%7 || int(buf[0])|int(buf[1])<<8 != i {
			t.Fatalf("datagram %d: % x", i, buf[:n])
		}
	}
	if allocs := testing.AllocsPerRun(100, func() {
		buf := b.Slot()
		buf[0] = 1
		b.Commit(10, dst)
		b.Flush()
	}); allocs != 0 {
		t.Fatalf("%.1f allocations per send", allocs)
	}
}
