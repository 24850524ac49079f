package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// countedAudio is an Opus track whose every sample carries its sequence
// number and a pattern derived from it, so a receiver can check each
// payload byte for byte.
type countedAudio struct {
	track *webrtc.TrackLocalStaticSample
	stop  chan struct{}
	done  chan struct{}
}

// audioPayload is sample n: an Opus TOC byte, n, and 27 bytes of n's
// pattern.
func audioPayload(n uint32) []byte {
	b := make([]byte, 32)
	b[0] = 0xf8
	binary.BigEndian.PutUint32(b[1:5], n)
	for i := 5; i < len(b); i++ {
		b[i] = byte(n*31) ^ byte(i*7)
	}
	return b
}

// checkPayload reports whether p is a payload audioPayload made.
func checkPayload(p []byte) bool {
	if len(p) != 32 || p[0] != 0xf8 {
		return false
	}
	want := audioPayload(binary.BigEndian.Uint32(p[1:5]))
	return string(want) == string(p)
}

// startCountedAudio writes a counted sample every 20 ms until stopped.
func startCountedAudio(t *testing.T, user string) *countedAudio {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", user)
	if err != nil {
		t.Fatal(err)
	}
	a := &countedAudio{track: tr, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var n uint32
		for {
			select {
			case <-a.stop:
				return
			case <-tick.C:
				n++
				_ = tr.WriteSample(pmedia.Sample{Data: audioPayload(n), Duration: 20 * time.Millisecond})
			}
		}
	}()
	t.Cleanup(func() { close(a.stop); <-a.done })
	return a
}

// audioReceiver counts the intact and the corrupt payloads a session
// receives from one peer, over every subscriber PeerConnection the
// session has (media resets replace them).
type audioReceiver struct {
	good, bad atomic.Int64
	wg        sync.WaitGroup
}

func receiveAudio(s *client.Session, from string) *audioReceiver {
	r := &audioReceiver{}
	s.OnTrack(func(userID, _ string, tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if userID != from {
			return
		}
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if checkPayload(p.Payload) {
				r.good.Add(1)
			} else {
				r.bad.Add(1)
			}
		}
	})
	return r
}

// waitGood polls until r counted more than base+n intact payloads.
func (r *audioReceiver) waitGood(t *testing.T, what string, base, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for r.good.Load() < base+n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d intact payloads (%d corrupt) within %v, want %d", what, r.good.Load()-base, r.bad.Load(), within, n)
		}
		time.Sleep(20 * time.Millisecond) // polling a counter, with a deadline
	}
	if b := r.bad.Load(); b > 0 {
		t.Fatalf("%s: %d corrupt payloads", what, b)
	}
}

// TestClusterKill9OwnerMediaResumes runs a 1:1 call with two-way audio on
// a cluster of three processes: alice is on A, which owns the call, bob on
// B. A is killed with SIGKILL. Another node takes the call over, bob (on a
// survivor) is told mediaReset (ownerChanged), alice reconnects to C and
// resumes her session there, and both receive each other's audio again,
// every payload intact.
func TestClusterKill9OwnerMediaResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := redistest.Start(t)
	bin := buildBinary(t)
	a := startNodeProc(t, bin, srv.URL(0), "A", "--resume-grace", "20s")
	b := startNodeProc(t, bin, srv.URL(0), "B", "--resume-grace", "20s")
	c := startNodeProc(t, bin, srv.URL(0), "C", "--resume-grace", "20s")
	probe, err := cluster.Open(cluster.Config{URL: srv.URL(0), NodeID: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	alice := dialAs(ctx, t, a.addr, "alice", "a1")
	bob := dialAs(ctx, t, b.addr, "bob", "b1")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if l, ok, err := probe.Owner(ctx, room.CallID(res.CallID)); err != nil || !ok || l.Node != "A" {
		t.Fatalf("owner of the new call: %+v %v %v, want A (the initiator's node)", l, ok, err)
	}
	if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	var bobResets sync.Map // reason → true
	sa, err := alice.StartMedia(ctx, res.CallID, client.MediaConfig{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	sb, err := bob.StartMedia(ctx, res.CallID, client.MediaConfig{LoopbackOnly: true,
		OnMediaReset: func(reason string) { bobResets.Store(reason, true) }})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	atBob := receiveAudio(sb, "alice")
	atAlice := receiveAudio(sa, "bob")
	aliceMic, bobMic := startCountedAudio(t, "alice"), startCountedAudio(t, "bob")
	if _, err := sa.Publish(ctx, client.LocalTrack{Track: aliceMic.track, Source: client.SourceMicrophone}); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Publish(ctx, client.LocalTrack{Track: bobMic.track, Source: client.SourceMicrophone}); err != nil {
		t.Fatal(err)
	}
	atBob.waitGood(t, "bob receiving alice before the kill", 0, 25, 20*time.Second)
	atAlice.waitGood(t, "alice receiving bob before the kill", 0, 25, 20*time.Second)

	sid := alice.SessionID()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	killed := time.Now()

	// Alice's WebSocket died with A: she reconnects at once, to C, and
	// resumes her session.
	select {
	case <-alice.Done():
	case <-ctx.Done():
		t.Fatal("alice's connection outlived node A")
	}
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	alice2, err := client.Dial(ctx, client.Config{URL: "ws://" + c.addr + "/v1/signal", Token: tok, DeviceID: "a1", Resume: sid})
	if err != nil {
		t.Fatalf("alice reconnecting to C: %v", err)
	}
	defer alice2.Close()
	if !alice2.Hello().Resumed || alice2.Hello().SessionID != sid {
		t.Fatalf("alice on C: hello %+v, want her session %s resumed", alice2.Hello(), sid)
	}
	if err := sa.Attach(alice2); err != nil {
		t.Fatal(err)
	}

	// The call moved to a survivor, with both members.
	var owner string
	deadline := time.Now().Add(15 * time.Second)
	for {
		l, ok, err := probe.Owner(ctx, room.CallID(res.CallID))
		if err == nil && ok && l.Node != "A" {
			owner = l.Node
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no survivor took the call over: %+v %v %v", l, ok, err)
		}
		time.Sleep(50 * time.Millisecond) // polling the lease, with a deadline
	}
	t.Logf("call taken over by %s %v after the kill", owner, time.Since(killed))

	// Both re-establish their media with the new owner; every payload
	// that arrives afterwards is intact.
	goodBob, goodAlice := atBob.good.Load(), atAlice.good.Load()
	atBob.waitGood(t, "bob receiving alice after the takeover", goodBob, 50, 30*time.Second)
	atAlice.waitGood(t, "alice receiving bob after the takeover", goodAlice, 50, 30*time.Second)
	if _, ok := bobResets.Load("ownerChanged"); !ok {
		var got []string
		bobResets.Range(func(k, _ any) bool { got = append(got, fmt.Sprint(k)); return true })
		t.Fatalf("bob's media resets: %v, want ownerChanged", got)
	}
	if sa.MediaResets() == 0 {
		t.Fatal("alice's session never rebuilt its media")
	}
	t.Logf("media flowing both ways again %v after the kill", time.Since(killed))
}
