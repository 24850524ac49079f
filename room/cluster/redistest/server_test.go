package redistest

import (
	"testing"
	"time"
)

// TestStopRestartPause checks the outage controls against the real binary.
func TestStopRestartPause(t *testing.T) {
	s := Start(t)
	if err := ping(s.Addr()); err != nil {
		t.Fatalf("fresh server: %v", err)
	}
	s.Stop()
	if err := ping(s.Addr()); err == nil {
		t.Fatal("stopped server still answers")
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := ping(s.Addr()); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := ping(s.Addr()); err == nil {
		t.Fatal("paused server answered")
	}
	if time.Since(start) < 500*time.Millisecond {
		t.Fatal("paused server refused at once instead of hanging")
	}
	if err := s.Continue(); err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr()); err != nil {
		t.Fatalf("continued server: %v", err)
	}
}
