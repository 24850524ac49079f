package main

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
)

// redisCalls returns the total commands a redis-server executed (INFO
// commandstats, through redis-cli).
func redisCalls(t *testing.T, addr string) int {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("redis-cli", "-h", host, "-p", port, "INFO", "commandstats").Output()
	if err != nil {
		t.Skipf("redis-cli: %v", err)
	}
	total := 0
	for _, line := range strings.Split(string(out), "\n") {
		_, rest, ok := strings.Cut(line, ":calls=")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ",")
		v, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("commandstats line %q", line)
		}
		total += v
	}
	return total
}

// TestClusterRedisCost measures the Redis commands (as INFO commandstats
// counts them: each script call plus every command inside it) of one
// invite → accept → leave cycle between two nodes, net of the nodes' idle traffic
// (heartbeats, renewals, sweeps, inbox reads), and that idle traffic. It
// asserts only loose bounds; the figures are logged for the README.
func TestClusterRedisCost(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")

	idleStart, c0 := time.Now(), redisCalls(t, srv.Addr())
	time.Sleep(2 * time.Second) // measuring a rate over a fixed window
	idleRate := float64(redisCalls(t, srv.Addr())-c0-1) / time.Since(idleStart).Seconds()

	const cycles = 20
	tripsBefore := []map[string]float64{scrapeRoundTrips(t, a), scrapeRoundTrips(t, b)}
	start, c1 := time.Now(), redisCalls(t, srv.Addr())
	for i := 0; i < cycles; i++ {
		res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bob.IncomingCall(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
			t.Fatal(err)
		}
		if err := alice.Leave(ctx, res.CallID); err != nil {
			t.Fatal(err)
		}
		if err := bob.Leave(ctx, res.CallID); err != nil {
			t.Logf("bob's leave: %v", err) // the call may have ended with alice
		}
		bob.Discard()
		alice.Discard()
	}
	el := time.Since(start)
	used := float64(redisCalls(t, srv.Addr())-c1-1) - idleRate*el.Seconds()
	trips, byKind := tripsPerCycle(tripsBefore, []map[string]float64{scrapeRoundTrips(t, a), scrapeRoundTrips(t, b)}, cycles)
	t.Logf("round trips per cycle (both nodes, idle kinds left out): %.1f%s", trips, byKind)
	perCycle := used / cycles
	t.Logf("idle: %.1f Redis commands/s for 2 nodes with 2 idle sessions (per idle session per minute: 0 beyond the nodes' own traffic)", idleRate)
	t.Logf("invite→incomingCall→accept→leave across 2 nodes: %.0f Redis commands per cycle (%d cycles in %v)", perCycle, cycles, el)
	if perCycle <= 0 || perCycle > 200 {
		t.Fatalf("%.0f commands per cycle: out of the plausible range", perCycle)
	}
}
