package signaling_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// benchServerEnv makes the test binary run as a bare signaling server, so
// that benchmarks measure the server in its own process.
const benchServerEnv = "RINGSFU_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) != "" {
		runBenchServer()
		return
	}
	os.Exit(m.Run())
}

// runBenchServer serves /v1/signal and /metrics on a loopback port, prints
// the address, and exits when stdin closes.
func runBenchServer() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := signaling.New(signaling.Config{AppID: testApp, AppSecret: testSecret, Logger: zerolog.Nop(), Registerer: reg,
		RateLimit: 1e6, RateBurst: 1e6})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/signal", srv)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = http.Serve(ln, mux) }()
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// benchServer starts the server process and returns its address.
func benchServer(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	addr = strings.TrimSpace(addr)
	if p := os.Getenv("RINGSFU_BENCH_PROFILE"); p != "" {
		// Profile the server process for 5 s while the benchmark runs.
		go func() {
			resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=5")
			if err != nil {
				return
			}
			defer resp.Body.Close()
			if f, err := os.Create(p); err == nil {
				_, _ = io.Copy(f, resp.Body)
				f.Close()
			}
		}()
	}
	return addr
}

// metric reads one unlabelled metric from the server's /metrics.
func metric(b *testing.B, addr, name string) float64 {
	b.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	b.Fatalf("metric %s not found", name)
	return 0
}

func benchDial(b *testing.B, addr, user string) *client.Client {
	tok, err := signaling.Mint(signaling.MintOptions{AppID: testApp, Secret: testSecret, UserID: user, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr + "/v1/signal", Token: tok, DeviceID: "d"})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkInviteAccept measures invitations end to end through the real
// WebSocket server in its own process: invite → incomingCall → accept →
// outgoingCallAccepted, then both hang up. It reports invites per second
// and the invite→incomingCall latency.
func BenchmarkInviteAccept(b *testing.B) {
	addr := benchServer(b)
	const pairs = 64
	callers := make([]*client.Client, pairs)
	callees := make([]*client.Client, pairs)
	for i := range pairs {
		callers[i] = benchDial(b, addr, fmt.Sprintf("caller%d", i))
		callees[i] = benchDial(b, addr, fmt.Sprintf("callee%d", i))
	}
	defer func() {
		for i := range pairs {
			callers[i].Close()
			callees[i].Close()
		}
	}()
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range pairs {
		n := b.N / pairs
		if p < b.N%pairs {
			n++
		}
		wg.Add(1)
		go func(caller, callee *client.Client, n int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			local := make([]time.Duration, 0, n)
			for range n {
				t0 := time.Now()
				res, err := caller.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: callee.Hello().User.ID}}})
				if err != nil {
					b.Error(err)
					return
				}
				ev, err := callee.WaitFor(ctx, signaling.TypeIncomingCall, nil)
				if err != nil {
					b.Error(err)
					return
				}
				local = append(local, ev.At.Sub(t0))
				if _, err := callee.Accept(ctx, res.CallID, ""); err != nil {
					b.Error(err)
					return
				}
				if _, err := caller.WaitFor(ctx, signaling.TypeOutgoingCallAccepted, nil); err != nil {
					b.Error(err)
					return
				}
				if err := caller.Leave(ctx, res.CallID); err != nil {
					b.Error(err)
					return
				}
				if err := callee.Leave(ctx, res.CallID); err != nil {
					b.Error(err)
					return
				}
				caller.Discard()
				callee.Discard()
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}(callers[p], callees[p], n)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "invites/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkIdleSessionMemory connects b.N idle signed-in sessions to a
// server in its own process and reports its heap and RSS growth per
// session.
func BenchmarkIdleSessionMemory(b *testing.B) {
	addr := benchServer(b)
	const sessions = 2000
	heap0 := metric(b, addr, "go_memstats_heap_inuse_bytes")
	rss0 := metric(b, addr, "process_resident_memory_bytes")
	cs := make([]*client.Client, 0, sessions)
	for i := range sessions {
		cs = append(cs, benchDial(b, addr, fmt.Sprintf("idle%d", i)))
	}
	heap1 := metric(b, addr, "go_memstats_heap_inuse_bytes")
	rss1 := metric(b, addr, "process_resident_memory_bytes")
	b.ReportMetric((heap1-heap0)/sessions, "heap-B/session")
	b.ReportMetric((rss1-rss0)/sessions, "rss-B/session")
	for _, c := range cs {
		c.Close()
	}
}
