package loadgen

import (
	"bufio"
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
)

// signalServer starts a single-node signaling server behind n listeners
// (n URLs for one server) and returns their ws:// URLs.
func signalServer(t *testing.T, n int, cfg signaling.Config) []string {
	t.Helper()
	cfg.AppID, cfg.AppSecret, cfg.Logger = "a", "s", zerolog.Nop()
	srv, err := signaling.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	var urls []string
	for range n {
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		urls = append(urls, "ws"+strings.TrimPrefix(hs.URL, "http")+"/v1/signal")
	}
	return urls
}

func TestSignalRefusesNonLoopbackAndUnknownFlows(t *testing.T) {
	cfg := SignalConfig{URLs: []string{"ws://127.0.0.1:1/v1/signal", "ws://10.0.0.1:1/v1/signal"}}
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("want a refusal of the second URL, got %v", err)
	}
	cfg = SignalConfig{URLs: []string{"ws://127.0.0.1:1/v1/signal"}, RedisURL: "redis://192.168.0.1:6379"}
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("want a refusal of the Redis URL, got %v", err)
	}
	cfg = SignalConfig{URLs: []string{"ws://127.0.0.1:1/v1/signal"}, Flows: ParseFlows("accept,ring")}
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), `"ring"`) {
		t.Fatalf("want unknown flow ring, got %v", err)
	}
	if got := ParseFlows("all, busy"); len(got) != 6 || got[5] != FlowBusy {
		t.Fatalf("ParseFlows: %v", got)
	}
}

// TestSignalRunPlaysEveryFlowAcrossURLs runs every flow against one server
// reached through two URLs: the connections alternate between the URLs
// (round-robin per connection, the hello flow's new connections
// included), every flow completes without error, and the counts agree
// with the flows' shapes.
func TestSignalRunPlaysEveryFlowAcrossURLs(t *testing.T) {
	urls := signalServer(t, 2, signaling.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := RunSignal(ctx, SignalConfig{URLs: urls, AppID: "a", Secret: "s", Groups: 4, Flows: AllFlows(),
		Duration: 1500 * time.Millisecond, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ErrorCount != 0 || len(rep.Errors) != 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	for _, f := range AllFlows() {
		if rep.ByFlow[f].Count == 0 || rep.ByFlow[f].Errors != 0 {
			t.Fatalf("flow %s: %+v", f, rep.ByFlow[f])
		}
	}
	a, b := rep.ConnectionsPerURL[urls[0]], rep.ConnectionsPerURL[urls[1]]
	hellos := rep.ByOp[signaling.TypeHello].Count
	if a+b != 12+hellos || a-b > 1 || b-a > 1 {
		t.Fatalf("connections per URL %v: want %d in all, alternating", rep.ConnectionsPerURL, 12+hellos)
	}
	if hellos != rep.ByFlow[FlowHello].Count {
		t.Fatalf("%d hellos for %d hello flows", hellos, rep.ByFlow[FlowHello].Count)
	}
	// Every flow but hello rings B once; the busy flow also sends C's
	// invite, which is answered busy.
	ringing := rep.ByFlow[FlowAccept].Count + rep.ByFlow[FlowCancel].Count + rep.ByFlow[FlowDecline].Count + rep.ByFlow[FlowBusy].Count
	if rep.ByOp["ring"].Count != ringing || rep.ByOp[signaling.TypeInvite].Count != ringing+rep.ByFlow[FlowBusy].Count {
		t.Fatalf("ring %d, invite %d for %d ringing flows (%d busy)", rep.ByOp["ring"].Count,
			rep.ByOp[signaling.TypeInvite].Count, ringing, rep.ByFlow[FlowBusy].Count)
	}
	if rep.ByOp["busy"].Count != rep.ByFlow[FlowBusy].Count || rep.ByOp[signaling.TypeAccept].Count != rep.ByFlow[FlowAccept].Count {
		t.Fatalf("busy %d / accept %d: %+v", rep.ByOp["busy"].Count, rep.ByOp[signaling.TypeAccept].Count, rep.ByFlow)
	}
	if rep.OpsPerSec <= 0 || rep.ByOp["ring"].MsP99 <= 0 || rep.ByOp["ring"].MsP50 > rep.ByOp["ring"].MsP99 {
		t.Fatalf("rates: %+v", rep)
	}
}

// TestSignalRunCountsErrorsByCode checks the error accounting: a server
// whose rate limit refuses most requests yields rate_limited errors, and
// an invitee on a server that is not the caller's (two unrelated servers,
// not a cluster) never rings, which counts as timeouts. Failed flows are
// counted as failed, not as cycles.
func TestSignalRunCountsErrorsByCode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("rate_limited", func(t *testing.T) {
		urls := signalServer(t, 1, signaling.Config{RateLimit: 2, RateBurst: 2})
		rep, err := RunSignal(ctx, SignalConfig{URLs: urls, AppID: "a", Secret: "s", Groups: 2, Flows: []string{FlowAccept},
			ConnRate: -1, Duration: time.Second, Timeout: 2 * time.Second, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Errors["rate_limited"] == 0 || rep.ByFlow[FlowAccept].Errors == 0 {
			t.Fatalf("want rate_limited errors and failed flows: %v %+v", rep.Errors, rep.ByFlow)
		}
		var sum int64
		for _, s := range rep.ByOp {
			sum += s.Errors
		}
		if sum != rep.ErrorCount {
			t.Fatalf("errors by op sum to %d, by code to %d (%v)", sum, rep.ErrorCount, rep.Errors)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		urls := append(signalServer(t, 1, signaling.Config{}), signalServer(t, 1, signaling.Config{})...)
		rep, err := RunSignal(ctx, SignalConfig{URLs: urls, AppID: "a", Secret: "s", Groups: 2, Flows: []string{FlowAccept},
			Duration: time.Second, Timeout: 300 * time.Millisecond, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		ring := rep.ByOp["ring"]
		if ring.Count != 0 || ring.Errors == 0 || rep.Errors[ErrTimeout] != ring.Errors || rep.ErrorCount != ring.Errors {
			t.Fatalf("want only ring timeouts: ring %+v, errors %v", ring, rep.Errors)
		}
		if f := rep.ByFlow[FlowAccept]; f.Count != 0 || f.Errors != ring.Errors {
			t.Fatalf("accept flows: %+v", f)
		}
	})
}

// TestReadRedisInfoCountsCommands reads INFO from a real redis-server
// around five SETs of its own.
func TestReadRedisInfoCountsCommands(t *testing.T) {
	srv := redistest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before, err := readRedisInfo(ctx, srv.URL(0))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	for range 5 {
		if _, err := respCall(conn, r, "SET", "k", "v"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := respCall(conn, r, "NOSUCHCOMMAND"); err == nil {
		t.Fatal("an error reply must be an error")
	}
	after, err := readRedisInfo(ctx, srv.URL(0))
	if err != nil {
		t.Fatal(err)
	}
	if d := after.commands["set"] - before.commands["set"]; d != 5 {
		t.Fatalf("set: %d more, want 5 (%v)", d, after.commands)
	}
	if _, ok := after.commands["info"]; ok {
		t.Fatalf("the reader's own INFO is counted: %v", after.commands)
	}
	if after.total()-before.total() != 5 {
		t.Fatalf("total: %d more, want 5", after.total()-before.total())
	}
	if after.cpu <= 0 {
		t.Fatalf("cpu %v", after.cpu)
	}
}

// TestSignalReportText checks the text report names what the JSON has.
func TestSignalReportText(t *testing.T) {
	rep := &SignalReport{Mode: "signaling", URLs: []string{"ws://127.0.0.1:1/v1/signal"}, Groups: 1, Flows: []string{FlowAccept},
		ByOp: map[string]OpSummary{"ring": {Count: 3, MsP50: 1, MsP99: 2}}, Errors: map[string]int64{"busy": 2, ErrTimeout: 1},
		ErrorCount: 3, Redis: &RedisReport{CommandsPerCycle: 42.5, ByCommand: map[string]int64{"evalsha": 7}}}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"errors: 3 busy=2 timeout=1", "ring", "per flow cycle 42.5 commands", "evalsha=7"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("text report lacks %q:\n%s", want, b.String())
		}
	}
}
