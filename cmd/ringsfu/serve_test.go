package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// served is a serve call running in-process.
type served struct {
	addr string
	stop context.CancelFunc // as the first SIGTERM would
	done <-chan error       // serve's return value

	mu        sync.Mutex
	logs      []map[string]any // guarded by mu
	warns     []string         // guarded by mu; raw lines at warn level and above
	warnBytes int              // guarded by mu
}

// warnings returns the raw log lines at warn level and above written so
// far, and their size in bytes.
func (s *served) warnings() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warns...), s.warnBytes
}

// lines returns the JSON log lines serve has written so far.
func (s *served) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.logs...)
}

// startServe runs serve in-process with args and returns it once it
// listens; the test's cleanup stops it and waits for serve to return.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	cfg, err := parseServeFlags(append([]string{"--listen", "127.0.0.1:0", "--log-format", "json", "--data-dir", t.TempDir()}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		err := serve(ctx, cfg, io.Discard, pw, func() {})
		pw.Close()
		done <- err
		close(finished)
	}()
	s := &served{stop: cancel, done: done}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			s.mu.Lock()
			s.logs = append(s.logs, line)
			if lvl := line["level"]; lvl == "warn" || lvl == "error" {
				s.warns = append(s.warns, sc.Text())
				s.warnBytes += len(sc.Bytes()) + 1
			}
			s.mu.Unlock()
			if line["message"] == "listening" {
				select {
				case addr <- line["addr"].(string):
				default:
				}
			}
		}
	}()
	select {
	case s.addr = <-addr:
		t.Cleanup(func() { cancel(); <-finished })
		return s
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	return nil
}

func TestServeShutdownClosesEveryWebSocketWith1001(t *testing.T) {
	s := startServe(t, "--drain-delay", "0")
	addr, stop, done := s.addr, s.stop, s.done
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	// Dev mode: mint through the dev endpoint, as the web client does.
	resp, err = http.Get("http://" + addr + "/dev/token?user=alice&name=Alice")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	bobTok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws://" + addr + "/v1/signal"
	alice, err := client.Dial(ctx, client.Config{URL: url, Token: tok.Token, DeviceID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := client.Dial(ctx, client.Config{URL: url, Token: bobTok, DeviceID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	inviteAccepted(ctx, t, alice, bob, "video")
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"ringsfu_calls 1", "ringsfu_members 2", "ringsfu_sessions 2",
		`ringsfu_invitations_total{outcome="accepted"} 1`, `ringsfu_messages_received_total{type="invite"} 1`,
		"go_goroutines", "process_cpu_seconds_total", "ringsfu_rtp_packets_out_total", "ringsfu_forward_latency_seconds_bucket",
		"ringsfu_nacks_total", "ringsfu_plis_sent_total", "ringsfu_webhooks_dropped_total"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	idle, err := client.Connect(ctx, client.Config{URL: url}) // never signs in
	if err != nil {
		t.Fatal(err)
	}
	stop() // as the first SIGTERM would
	for name, c := range map[string]*client.Client{"alice": alice, "bob": bob, "idle": idle} {
		select {
		case <-c.Done():
			if c.CloseCode() != 1001 {
				t.Errorf("%s: close code %d, want 1001", name, c.CloseCode())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not closed", name)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return")
	}
}

func TestDevModeRefusesNonLoopback(t *testing.T) {
	_, err := parseServeFlags([]string{"--listen", "0.0.0.0:8080"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("want refusal, got %v", err)
	}
	cfg, err := parseServeFlags(nil, func(k string) string {
		return map[string]string{"RINGSFU_APP_SECRET": "s", "RINGSFU_APP_ID": "prod", "RINGSFU_LISTEN": "0.0.0.0:9000", "RINGSFU_STUN": "stun:a,stun:b"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dev || cfg.AppID != "prod" || cfg.Listen != "0.0.0.0:9000" || len(cfg.STUN) != 2 {
		t.Fatalf("env config: %+v", cfg)
	}
}

func TestTokenCommandMintsAVerifiableToken(t *testing.T) {
	var out strings.Builder
	err := tokenCommand([]string{"--user", "alice", "--name", "Alice", "--call", "c1"}, func(string) string { return "" }, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	id, err := signaling.NewTokenVerifier(devAppID, devSecret).Verify(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != "alice" || id.Name != "Alice" || id.Call != "c1" {
		t.Fatalf("identity: %+v", id)
	}
	if err := tokenCommand(nil, func(string) string { return "" }, &out, io.Discard); err == nil {
		t.Fatal("missing --user must fail")
	}
}
