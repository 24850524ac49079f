package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// healthStatus returns GET /healthz's status code.
func healthStatus(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeDrainDelay stops serve as the first SIGTERM would and checks the
// drain: while serve is still running, /healthz says 503 and a new
// WebSocket upgrade is refused with 503, the existing session keeps
// working; after the delay every WebSocket gets 1001 and serve returns.
// Before --drain-delay, serve closed everything within milliseconds, so no
// poll ever saw the 503.
func TestServeDrainDelay(t *testing.T) {
	const delay = 1500 * time.Millisecond
	s := startServe(t, "--drain-delay", delay.String())
	if c := healthStatus(t, s.addr); c != http.StatusOK {
		t.Fatalf("healthz before drain: %d", c)
	}
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws://" + s.addr + "/v1/signal"
	alice, err := client.Dial(ctx, client.Config{URL: url, Token: tok, DeviceID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	start := time.Now()
	s.stop()
	deadline := time.Now().Add(delay)
	for healthStatus(t, s.addr) != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("healthz never said 503 while draining")
		}
		select {
		case err := <-s.done:
			t.Fatalf("serve returned (%v) before /healthz said 503", err)
		default:
		}
	}
	_, resp, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("upgrade while draining: %v (response %v), want HTTP 503", err, resp)
	}
	if err := alice.Ping(ctx); err != nil {
		t.Fatalf("existing session while draining: %v", err)
	}
	select {
	case <-alice.Done():
		t.Fatalf("alice closed (%d) during the drain delay", alice.CloseCode())
	default:
	}
	select {
	case <-alice.Done():
		if alice.CloseCode() != 1001 {
			t.Fatalf("close code %d, want 1001", alice.CloseCode())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("alice not closed after the drain")
	}
	if el := time.Since(start); el < delay {
		t.Fatalf("closed after %v, before the drain delay of %v", el, delay)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return")
	}
	var raised bool
	for _, l := range s.lines() {
		raised = raised || l["message"] == "open-file limit" && l["open_files"].(float64) >= l["before"].(float64)
	}
	if !raised {
		t.Fatal("no open-file limit log line")
	}
}
