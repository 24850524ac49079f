package main

import (
	"context"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// TestClusterAdoptedMemberLeavesOnceStalePresenceGoes: when the grace of
// an adopted call ends, its absent member may still show as connected
// through a presence entry of a node that is alive for a moment longer
// (the old node slow to finish its shutdown). Here node Z, alive by its
// heartbeat, holds alice's device until 2 s after the owner stopped, past
// the 1 s grace; once Z stops beating and its entry goes, alice must leave
// as disconnected. Checking only once, at the end of the grace, kept her
// in the call for ever.
func TestClusterAdoptedMemberLeavesOnceStalePresenceGoes(t *testing.T) {
	srv := redistest.Start(t)
	sa := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A", "--drain-delay", "0", "--resume-grace", "1s")
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B", "--resume-grace", "1s").addr
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, sa.addr, "alice", "a1")
	bob := dialAs(ctx, t, b, "bob", "b1")
	inviteAccepted(ctx, t, alice, bob, "voice")

	z, err := cluster.Open(cluster.Config{URL: srv.URL(0), NodeID: "Z"})
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if err := z.Heartbeat(ctx, cluster.Load{}); err != nil {
		t.Fatal(err)
	}
	stopBeating, beats := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(beats)
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopBeating:
				return
			case <-tick.C:
				_ = z.Heartbeat(ctx, cluster.Load{})
			}
		}
	}()
	beating := true
	defer func() {
		if beating {
			close(stopBeating)
			<-beats
		}
	}()
	// Z claims alice's device while A still holds her session: A's own
	// clean-up at shutdown is a compare-and-delete, so Z's entry stays.
	if err := z.SetPresence(ctx, "alice", "a1", "z1"); err != nil {
		t.Fatal(err)
	}
	type left struct {
		ul  *signaling.UserLeft
		err error
		at  time.Time
	}
	got := make(chan left, 1)
	go func() {
		ul, err := client.WaitType[signaling.UserLeft](ctx, bob, signaling.TypeUserLeft)
		got <- left{ul, err, time.Now()}
	}()
	sa.stop()
	if err := <-sa.done; err != nil {
		t.Fatalf("node A: %v", err)
	}
	stopped := time.Now()
	for time.Since(stopped) < 2*time.Second {
		time.Sleep(50 * time.Millisecond) // Z stays alive past B's grace; not synchronisation
	}
	close(stopBeating)
	<-beats
	beating = false
	l := <-got
	if l.err != nil || l.ul == nil || l.ul.User.ID != "alice" || l.ul.Reason != "disconnected" {
		t.Fatalf("bob: userLeft = %+v %v, want alice disconnected once Z's entry is gone", l.ul, l.err)
	}
	if el := l.at.Sub(stopped); el < 2*time.Second {
		t.Fatalf("alice left %v after the owner stopped, while Z still held her device", el)
	}
}
