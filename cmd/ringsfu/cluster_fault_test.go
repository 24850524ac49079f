package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// buildBinary builds ringsfu once per test into a temp dir (or uses
// RINGSFU_BIN when set, as the browser tests do).
func buildBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("RINGSFU_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "ringsfu")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// nodeProc is one ringsfu process of a cluster.
type nodeProc struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
}

// startNodeProc runs the binary as a cluster node on loopback and waits
// for it to listen.
func startNodeProc(t *testing.T, bin, redisURL, id string, extra ...string) *nodeProc {
	t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--log-format", "json", "--redis-url", redisURL, "--node-id", id, "--data-dir", t.TempDir()}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var logf *os.File
		if d := os.Getenv("RINGSFU_TEST_NODE_LOGS"); d != "" {
			logf, _ = os.Create(filepath.Join(d, id+".log"))
			defer logf.Close()
		}
		for sc.Scan() {
			if logf != nil {
				_, _ = logf.Write(append(sc.Bytes(), '\n'))
			}
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["message"] == "listening" {
				select {
				case addr <- line["addr"].(string):
				default:
				}
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited })
	select {
	case p.addr = <-addr:
	case <-p.exited:
		t.Fatalf("node %s exited at start", id)
	case <-time.After(20 * time.Second):
		t.Fatalf("node %s did not start", id)
	}
	return p
}

// TestClusterKill9OwnerMidRing kills the owner of a ringing call with
// SIGKILL: another process takes the call over and the ring timeout fires
// exactly once, on time (±1 s), for the callee connected to the survivor.
func TestClusterKill9OwnerMidRing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := redistest.Start(t)
	bin := buildBinary(t)
	a := startNodeProc(t, bin, srv.URL(0), "A", "--resume-grace", "5s")
	b := startNodeProc(t, bin, srv.URL(0), "B", "--resume-grace", "5s")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a.addr, "alice", "a1")
	bob := dialAs(ctx, t, b.addr, "bob", "b1")
	carol := dialAs(ctx, t, b.addr, "carol", "c1")
	ring := 6
	start := time.Now()
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", TimeoutSeconds: &ring,
		Invitees: []signaling.User{{ID: "bob"}, {ID: "carol"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	// Carol accepts before the crash, so the call has a member on B.
	if _, err := carol.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	to, err := client.WaitType[signaling.IncomingCallTimeout](ctx, bob, signaling.TypeIncomingCallTimeout)
	if err != nil {
		t.Fatalf("bob: no incomingCallTimeout after the owner died: %v", err)
	}
	el := time.Since(start)
	if to.CallID != res.CallID {
		t.Fatalf("timeout for %s", to.CallID)
	}
	if el < time.Duration(ring)*time.Second-200*time.Millisecond || el > time.Duration(ring+1)*time.Second {
		t.Fatalf("ring timeout after %v, want %d s ± 1 s", el, ring)
	}
	wctx, wcancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer wcancel()
	if _, err := client.WaitType[signaling.IncomingCallTimeout](wctx, bob, signaling.TypeIncomingCallTimeout); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second incomingCallTimeout: %v", err)
	}
	// The call lives on B: carol (member, on B) is told about bob's
	// timeout through the invitee list the new owner broadcasts.
	if _, err := carol.WaitFor(ctx, signaling.TypeInvitationStateChanged, func(ev client.Event) bool {
		isc, ok := ev.Data.(*signaling.InvitationStateChanged)
		if !ok {
			return false
		}
		for _, u := range isc.Users {
			if u.User.ID == "bob" && u.State == "timeout" {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("carol (member, on B) was not told of bob's timeout: %v", err)
	}
	// Alice's session died with node A and she does not come back: after
	// the resume grace on the new owner she leaves as disconnected.
	ul, err := client.WaitType[signaling.UserLeft](ctx, carol, signaling.TypeUserLeft)
	if err != nil || ul.User.ID != "alice" || ul.Reason != "disconnected" {
		t.Fatalf("carol: userLeft = %+v %v, want alice disconnected", ul, err)
	}
	t.Logf("owner killed; timeout fired once on the survivor %v after the invite", el)
}

// TestClusterSigstopOwnerIsFenced pauses the owner of a call (SIGSTOP) past
// its lease: another node takes the call over; when the paused process
// continues (SIGCONT) it cannot overwrite the new owner — it abandons its
// copy, and its still-connected device's requests are relayed to the new
// owner.
func TestClusterSigstopOwnerIsFenced(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := redistest.Start(t)
	bin := buildBinary(t)
	a := startNodeProc(t, bin, srv.URL(0), "A")
	b := startNodeProc(t, bin, srv.URL(0), "B")
	probe, err := cluster.Open(cluster.Config{URL: srv.URL(0), NodeID: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, a.addr, "alice", "a1")
	bob := dialAs(ctx, t, b.addr, "bob", "b1")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "video", Invitees: []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.IncomingCall(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, ok, err := probe.Owner(ctx, room.CallID(res.CallID))
		if err == nil && ok && l.Node == "B" {
			break
		}
		if time.Now().After(deadline) {
			_ = a.cmd.Process.Signal(syscall.SIGCONT)
			t.Fatalf("B did not take the call over from the paused owner (owner %+v %v %v)", l, ok, err)
		}
		time.Sleep(50 * time.Millisecond) // polling for the takeover, with a deadline
	}
	t.Logf("takeover %v after SIGSTOP", time.Since(paused))
	if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatalf("accept at the new owner: %v", err)
	}
	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// The old owner wakes up: whatever it tries is fenced; the call stays
	// B's, with both members.
	if err := alice.SetDevice(ctx, signaling.SetDeviceRequest{CallID: res.CallID, Microphone: client.Bool(false)}); err != nil {
		t.Fatalf("alice's setDevice through the woken node: %v", err)
	}
	if _, err := bob.WaitFor(ctx, signaling.TypeDeviceState, func(ev client.Event) bool {
		ds, ok := ev.Data.(*signaling.DeviceState)
		return ok && ds.UserID == "alice" && !ds.Microphone
	}); err != nil {
		t.Fatalf("bob: no deviceState from alice via the new owner: %v", err)
	}
	l, ok, err := probe.Owner(ctx, room.CallID(res.CallID))
	if err != nil || !ok || l.Node != "B" {
		t.Fatalf("owner after SIGCONT: %+v %v %v", l, ok, err)
	}
	sl, ok, err := probe.SlotOf(ctx, "bob")
	if err != nil || !ok || !sl.Member || string(sl.Call) != res.CallID {
		t.Fatalf("bob's slot after SIGCONT: %+v %v %v", sl, ok, err)
	}
}
