package media

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestICETCPListensAndReleases: with TCPPort the engine listens on
// RTCIP:TCPPort, reports a port in use at New, and frees the port on Close.
func TestICETCPListensAndReleases(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if eng, err := New(Config{RTCIP: "127.0.0.1", TCPPort: port, Logger: zerolog.Nop()}); err == nil {
		_ = eng.Close()
		t.Fatal("New succeeded on a TCP port in use")
	}
	_ = ln.Close()
	if _, err := New(Config{RTCIP: "127.0.0.1", TCPPort: -1}); !errors.Is(err, ErrInvalidPorts) {
		t.Fatalf("negative port: %v", err)
	}

	eng, err := New(Config{RTCIP: "127.0.0.1", TCPPort: port, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp4", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial the ICE-TCP port: %v", err)
	}
	_ = c.Close()
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := net.Listen("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatalf("port not released by Close: %v", err)
	}
	_ = again.Close()
}
