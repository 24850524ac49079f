package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client/loadgen"
)

// Soak verdict bounds.
const (
	soakGoroutineSlack = 5       // goroutines above the baseline after the run
	soakHeapSlack      = 6 << 20 // live heap bytes above the baseline after the run
	soakSettle         = 90 * time.Second
)

// soakServer is a real ringsfu process started by the soak test.
type soakServer struct {
	addr    string
	logPath string

	mu     sync.Mutex
	levels map[string]int // log lines by level
	errs   []string       // the first error-level lines
}

// startSoakServer builds (or takes RINGSFU_BIN) and starts a server on
// loopback with --pprof (the verdict forces a GC through it) and a short
// resume grace, and waits until it listens. Its log goes to
// RINGSFU_SOAK_LOG if set (kept), else into the test's temporary directory.
func startSoakServer(t *testing.T) *soakServer {
	t.Helper()
	bin := os.Getenv("RINGSFU_BIN")
	dir := t.TempDir()
	if bin == "" {
		bin = filepath.Join(dir, "ringsfu")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}
	s := &soakServer{logPath: os.Getenv("RINGSFU_SOAK_LOG"), levels: map[string]int{}}
	if s.logPath == "" {
		s.logPath = filepath.Join(dir, "server.log") // removed with the test
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--udp-port", strconv.Itoa(freeUDPPort(t)),
		"--rtc-ip", "127.0.0.1", "--resume-grace", "3s", "--pprof", "--log-format", "json", "--log-level", "info", "--data-dir", dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() { // ends when the process closes its stderr
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = logFile.Write(append(line, '\n'))
			var m struct{ Level, Message, Addr string }
			if json.Unmarshal(line, &m) != nil {
				continue
			}
			s.mu.Lock()
			s.levels[m.Level]++
			if m.Level == "error" && len(s.errs) < 10 {
				s.errs = append(s.errs, string(line))
			}
			s.mu.Unlock()
			if m.Message == "listening" {
				addr <- m.Addr
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		<-scanned
		logFile.Close()
	})
	select {
	case s.addr = <-addr:
	case <-scanned:
		t.Fatal("server exited before listening")
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return s
}

// soakScraper reads /metrics without keeping a connection (an idle
// keep-alive connection would be a server goroutine of the test's own).
var soakScraper = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// scrape returns every sample of /metrics by its full name (with labels),
// and the names of the ringsfu gauges.
func (s *soakServer) scrape(t *testing.T) (samples map[string]float64, gauges []string) {
	t.Helper()
	resp, err := soakScraper.Get("http://" + s.addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	samples = map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" && f[3] == "gauge" && strings.HasPrefix(f[2], "ringsfu_") {
			gauges = append(gauges, f[2])
		}
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			samples[line[:i]] = v
		}
	}
	return samples, gauges
}

// gc makes the server collect garbage twice (sync.Pools empty over two
// cycles), so that heap_alloc is the live heap.
func (s *soakServer) gc(t *testing.T) {
	for range 2 {
		resp, err := soakScraper.Get("http://" + s.addr + "/debug/pprof/heap?gc=1")
		if err != nil {
			t.Fatalf("gc: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// nonZeroGauges lists the ringsfu gauge samples that are not zero.
func nonZeroGauges(samples map[string]float64, gauges []string) []string {
	var out []string
	for k, v := range samples {
		name, _, _ := strings.Cut(k, "{")
		for _, g := range gauges {
			if name == g && v != 0 {
				out = append(out, fmt.Sprintf("%s=%g", k, v))
			}
		}
	}
	return out
}

// TestSoak is the churn soak (issue 14): RINGSFU_SOAK=10m (a duration)
// runs it against a real server process, `make soak` with SOAK_DURATION,
// and `make test` for 60 s. RINGSFU_SOAK_USERS (default 200) users in
// groups of four play every signaling request type in random scenarios —
// invite, accept, decline, busy (refused and by the server), cancel, ring
// timeout, join, leave, kick-out, setDevice, remote mute,
// endCallWhenInitiatorLeave, resume after a forced WebSocket drop, and a
// drop that is not resumed — while rounds of real media calls run
// alongside. /metrics is sampled throughout. The verdict after everyone
// has gone: every ringsfu gauge back to zero, goroutines and live heap
// back to the baseline (within soakGoroutineSlack and soakHeapSlack), no
// `internal` error, no error-level log line, and media flowed in every
// round.
func TestSoak(t *testing.T) {
	dur, err := time.ParseDuration(os.Getenv("RINGSFU_SOAK"))
	if err != nil || dur <= 0 {
		t.Skip("set RINGSFU_SOAK to a duration (e.g. 10m) to run the soak; `make soak`")
	}
	users := 200
	if n, err := strconv.Atoi(os.Getenv("RINGSFU_SOAK_USERS")); err == nil && n >= 4 {
		users = n
	}
	srv := startSoakServer(t)
	url := "ws://" + srv.addr + "/v1/signal"
	srv.gc(t)
	base, _ := srv.scrape(t)
	baseGoroutines, baseHeap := base["go_goroutines"], base["go_memstats_heap_alloc_bytes"]
	t.Logf("baseline: %.0f goroutines, live heap %.1f MB; %d users for %v", baseGoroutines, baseHeap/1e6, users, dur)

	stats := &churnStats{}
	var groups []*churnGroup
	setup, cancelSetup := context.WithTimeout(context.Background(), 60*time.Second)
	for gi := 0; gi < users/4; gi++ {
		g := &churnGroup{id: gi, stats: stats, rng: rand.New(rand.NewPCG(uint64(gi), 14))}
		for ui := range g.users {
			id := fmt.Sprintf("soak-u%d-%d", gi, ui)
			tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: id, TTL: dur + time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			g.users[ui] = &churnUser{id: id, token: tok, url: url}
			if err := g.users[ui].dial(setup, ""); err != nil {
				t.Fatalf("sign in %s: %v", id, err)
			}
		}
		groups = append(groups, g)
	}
	cancelSetup()

	ctx, stop := context.WithTimeout(context.Background(), dur)
	defer stop()
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() { defer wg.Done(); g.run(ctx) }()
	}
	// Media calls alongside, in rounds of real PeerConnections.
	type mediaRound struct {
		rep *loadgen.Report
		err error
	}
	var rounds []mediaRound
	mediaDone := make(chan struct{})
	go func() {
		defer close(mediaDone)
		for ctx.Err() == nil {
			left := time.Until(deadlineOf(ctx))
			if left < 8*time.Second {
				return
			}
			rep, err := loadgen.Run(context.Background(), loadgen.Config{URL: url, AppID: devAppID, Secret: devSecret,
				Calls: 2, Members: 3, Publishers: 2, Video: loadgen.VideoSingle, Audio: true,
				Duration: min(20*time.Second, left-5*time.Second), Logger: zerolog.Nop()})
			rounds = append(rounds, mediaRound{rep, err})
		}
	}()
	tick := time.NewTicker(max(5*time.Second, dur/20))
	defer tick.Stop()
	peakGoroutines := baseGoroutines
sampling:
	for {
		select {
		case <-ctx.Done():
			break sampling
		case <-tick.C:
			m, _ := srv.scrape(t)
			peakGoroutines = max(peakGoroutines, m["go_goroutines"])
			t.Logf("sample: %6d ops, %5d resumes, %5.0f goroutines, heap %5.1f MB, calls %g, members %g, sessions %g, connections %g",
				stats.ops.Load(), stats.resumes.Load(), m["go_goroutines"], m["go_memstats_heap_alloc_bytes"]/1e6,
				m["ringsfu_calls"], m["ringsfu_members"], m["ringsfu_sessions"], m["ringsfu_connections"])
		}
	}
	wg.Wait()
	<-mediaDone
	ops := stats.ops.Load()
	t.Logf("churn: %d operations (%.0f/s), %d resumes, peak %.0f goroutines; errors: %s",
		ops, float64(ops)/dur.Seconds(), stats.resumes.Load(), peakGoroutines, stats.summary())

	// Everyone has gone: wait for the server to settle.
	var end map[string]float64
	var dirty []string
	var goroutines, heap float64
	for deadline := time.Now().Add(soakSettle); ; {
		srv.gc(t)
		var gauges []string
		end, gauges = srv.scrape(t)
		dirty = nonZeroGauges(end, gauges)
		goroutines, heap = end["go_goroutines"], end["go_memstats_heap_alloc_bytes"]
		if len(dirty) == 0 && goroutines <= baseGoroutines+soakGoroutineSlack && heap <= baseHeap+soakHeapSlack {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Logf("after: %.0f goroutines (baseline %.0f), live heap %.1f MB (baseline %.1f MB), gauges calls %g members %g sessions %g connections %g",
		goroutines, baseGoroutines, heap/1e6, baseHeap/1e6, end["ringsfu_calls"], end["ringsfu_members"], end["ringsfu_sessions"], end["ringsfu_connections"])
	srv.mu.Lock()
	t.Logf("server log: %v lines by level (%s)", srv.levels, srv.logPath)
	errLines := append([]string(nil), srv.errs...)
	srv.mu.Unlock()

	// The verdict.
	if len(dirty) > 0 {
		t.Errorf("gauges not back to zero: %s", strings.Join(dirty, ", "))
	}
	if goroutines > baseGoroutines+soakGoroutineSlack {
		t.Errorf("goroutines %.0f, baseline %.0f (+%d allowed)", goroutines, baseGoroutines, soakGoroutineSlack)
	}
	if heap > baseHeap+soakHeapSlack {
		t.Errorf("live heap %.1f MB, baseline %.1f MB (+%d MB allowed)", heap/1e6, baseHeap/1e6, soakHeapSlack>>20)
	}
	if n := stats.count(signaling.CodeInternal); n > 0 {
		t.Errorf("%d internal errors", n)
	}
	if len(errLines) > 0 {
		t.Errorf("error-level log lines, e.g.:\n%s", strings.Join(errLines, "\n"))
	}
	if ops < int64(users) {
		t.Errorf("only %d operations", ops)
	}
	for i, r := range rounds {
		switch {
		case r.err != nil:
			t.Errorf("media round %d: %v", i, r.err)
		case r.rep.Tracks["video"].Count == 0 || r.rep.Tracks["audio"].Count == 0 || r.rep.PacketsOutPerSec < 100:
			t.Errorf("media round %d: no media: %+v", i, r.rep)
		default:
			t.Logf("media round %d: %.0f packets/s out, loss %.4f%%", i, r.rep.PacketsOutPerSec, 100*r.rep.LossRatio)
		}
	}
}

// deadlineOf returns ctx's deadline (zero time without one).
func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
