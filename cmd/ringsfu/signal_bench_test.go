package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling/client/loadgen"
)

// benchSignal runs the signaling load generator flat out against the
// in-process nodes at urls (with redisURL, a cluster) and reports its
// figures as custom metrics. The window is RINGSFU_BENCH_DURATION
// (default 5 s), the flows RINGSFU_BENCH_FLOWS (default accept) and the
// groups RINGSFU_BENCH_GROUPS (default 128); run with -benchtime 1x, as
// one iteration is one whole window.
func benchSignal(b *testing.B, urls []string, redisURL string) {
	window := 5 * time.Second
	if v := os.Getenv("RINGSFU_BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("RINGSFU_BENCH_DURATION: %v", err)
		}
		window = d
	}
	flows := []string{loadgen.FlowAccept}
	if v := os.Getenv("RINGSFU_BENCH_FLOWS"); v != "" {
		flows = loadgen.ParseFlows(v)
	}
	groups := 128
	if v := os.Getenv("RINGSFU_BENCH_GROUPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("RINGSFU_BENCH_GROUPS: %v", err)
		}
		groups = n
	}
	cfg := loadgen.SignalConfig{URLs: urls, AppID: devAppID, Secret: devSecret, Groups: groups, Flows: flows,
		Duration: window, RedisURL: redisURL, Logger: zerolog.Nop()}
	b.ResetTimer()
	var rep *loadgen.SignalReport
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), window+2*time.Minute)
		r, err := loadgen.RunSignal(ctx, cfg)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		rep = r
	}
	b.StopTimer()
	b.ReportMetric(rep.OpsPerSec, "ops/s")
	b.ReportMetric(rep.RequestsPerSec, "requests/s")
	b.ReportMetric(rep.RingsPerSec, "invites/s")
	ring := rep.ByOp["ring"]
	b.ReportMetric(ring.MsP50, "ring-p50-ms")
	b.ReportMetric(ring.MsP99, "ring-p99-ms")
	b.ReportMetric(float64(rep.ErrorCount), "errors")
	b.ReportMetric(rep.LoadgenCPUCores, "process-cores") // servers and generator share the process
	if rr := rep.Redis; rr != nil {
		b.ReportMetric(rr.CommandsPerCycle, "redis-cmds/cycle")
		b.ReportMetric(rr.NodeRoundTripsPerCycle, "round-trips/cycle")
		b.ReportMetric(rr.CPUCores, "redis-cores")
	}
	var lines []string
	for name, s := range rep.ByOp {
		lines = append(lines, fmt.Sprintf("%s p50 %.1f p99 %.1f ms", name, s.MsP50, s.MsP99))
	}
	sort.Strings(lines)
	b.Logf("flows %v, %d groups over %d node(s): %s; errors %v", flows, groups, len(urls), strings.Join(lines, ", "), rep.Errors)
}

// startBenchServe runs serve in-process on a free loopback port with
// args, logging at warn level only (a benchmark must not measure its own
// log parsing), and returns its address once /healthz answers.
func startBenchServe(b *testing.B, args ...string) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg, err := parseServeFlags(append([]string{"--listen", addr, "--log-level", "warn", "--drain-delay", "0"}, args...),
		func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, io.Discard, io.Discard, func() {}) }()
	b.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		select {
		case err := <-done:
			b.Fatalf("serve: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatal("serve did not start")
		}
	}
}

// BenchmarkSignalingSingleNode measures one node without Redis (issue 8's
// goal: 5,000 invite→incomingCall/s, p99 ≤ 50 ms on the 2-core box).
func BenchmarkSignalingSingleNode(b *testing.B) {
	addr := startBenchServe(b)
	benchSignal(b, []string{"ws://" + addr + "/v1/signal"}, "")
}

// BenchmarkSignalingCluster3 measures three nodes on one Redis, every
// connection on the next node in turn (issue 8's goal: 2,500/s, p99 ≤
// 50 ms), with Redis commands and round trips per flow cycle.
func BenchmarkSignalingCluster3(b *testing.B) {
	srv := redistest.Start(b)
	var urls []string
	for _, id := range []string{"A", "B", "C"} {
		addr := startBenchServe(b, "--redis-url", srv.URL(0), "--node-id", id)
		urls = append(urls, "ws://"+addr+"/v1/signal")
	}
	benchSignal(b, urls, srv.URL(0))
}
