package client

import (
	"context"
	"net"
	"testing"
	"time"
)

func TestConnectStopsOnCancelDuringHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept() // accept, never answer the upgrade
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := Connect(ctx, Config{URL: "ws://" + ln.Addr().String() + "/v1/signal"})
		done <- err
	}()
	c := <-accepted
	defer c.Close()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("connect succeeded against a silent server")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("cancellation took %v", d)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("Connect ignored cancellation during the handshake")
	}
}
