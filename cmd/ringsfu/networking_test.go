package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// freeLoopbackPort returns a port free for UDP and TCP on 127.0.0.1 at the
// time of the call.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	for range 20 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		_ = u.Close()
		if err == nil {
			_ = l.Close()
			return fmt.Sprint(port)
		}
	}
	t.Fatal("no free port")
	return ""
}

// audioCall is a 1:1 call whose callee publishes numbered Opus packets and
// whose caller records the payloads it receives.
type audioCall struct {
	caller, callee *client.Session
	mu             sync.Mutex
	got            [][]byte // guarded by mu
}

// received returns a copy of the payloads received so far.
func (a *audioCall) received() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.got...)
}

// payload is the n-th audio payload the callee sends: an Opus TOC byte and
// the number.
func payload(n int) []byte {
	b := []byte{0xf8, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(n))
	return b
}

// runAudioCall dials alice and bob on addr, starts a call between them with
// media configured by mc, and has bob publish until at least want packets
// arrived at alice. It checks that every payload alice received is one bob
// sent, byte for byte and in order.
func runAudioCall(t *testing.T, addr string, mc client.MediaConfig, want int) *audioCall {
	t.Helper()
	return runAudioCallWith(t, addr, "", want, func(*client.Client) client.MediaConfig { return mc })
}

// runAudioCallWith is runAudioCall with each member's media configured by
// mc from its signed-in client, and tag appended to the user ids (calls on
// one server need their own users).
func runAudioCallWith(t *testing.T, addr, tag string, want int, mc func(*client.Client) client.MediaConfig) *audioCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, addr, "alice"+tag, "a1")
	bob := dialAs(ctx, t, addr, "bob"+tag, "b1")
	res, err := alice.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob" + tag}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	a := &audioCall{}
	if a.caller, err = alice.StartMedia(ctx, res.CallID, mc(alice)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.caller.Close() })
	a.caller.OnTrack(func(userID, _ string, tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			a.mu.Lock()
			a.got = append(a.got, append([]byte(nil), p.Payload...))
			a.mu.Unlock()
		}
	})
	if a.callee, err = bob.StartMedia(ctx, res.CallID, mc(bob)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.callee.Close() })
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.callee.Publish(ctx, client.LocalTrack{Track: track, Source: client.SourceMicrophone}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = track.WriteSample(pmedia.Sample{Data: payload(n), Duration: 20 * time.Millisecond})
			}
		}
	}()
	defer func() { close(stop); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for len(a.received()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("alice received %d RTP packets of bob's audio, want %d", len(a.received()), want)
		}
		time.Sleep(20 * time.Millisecond) // polling a counter, with a deadline
	}
	last := -1
	for i, p := range a.received() {
		if len(p) != 5 || p[0] != 0xf8 {
			t.Fatalf("packet %d: payload %x is not one bob sent", i, p)
		}
		n := int(binary.BigEndian.Uint32(p[1:]))
		if n <= last || !bytes.Equal(p, payload(n)) {
			t.Fatalf("packet %d: payload #%d after #%d", i, n, last)
		}
		last = n
	}
	return a
}

// selectedPair returns the selected candidate pair of pc once ICE chose one.
func selectedPair(t *testing.T, pc *webrtc.PeerConnection) *webrtc.ICECandidatePair {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, s := range pc.GetSenders() {
			if p, err := s.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				return p
			}
		}
		for _, r := range pc.GetReceivers() {
			if p, err := r.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no selected candidate pair")
		}
		time.Sleep(20 * time.Millisecond) // polling ICE state, with a deadline
	}
}

// metric returns the value of one /metrics sample line (name with labels).
func metric(t *testing.T, scheme, addr, name string) string {
	t.Helper()
	resp, err := http.Get(scheme + "://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// TestICETCPOnlyClient: Pion clients restricted to TCP4 reach the SFU over
// ICE-TCP (--tcp-port) and exchange audio byte for byte.
func TestICETCPOnlyClient(t *testing.T) {
	s := startServe(t, "--drain-delay", "0", "--rtc-ip", "127.0.0.1", "--udp-port", freeLoopbackPort(t), "--tcp-port", freeLoopbackPort(t))
	api, err := client.NewMediaAPI(client.MediaAPIConfig{LoopbackOnly: true, Settings: func(se *webrtc.SettingEngine) {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := runAudioCall(t, s.addr, client.MediaConfig{API: api}, 50)
	for _, pc := range []*webrtc.PeerConnection{a.caller.Subscriber(), a.callee.Publisher()} {
		p := selectedPair(t, pc)
		if p.Local.Protocol != webrtc.ICEProtocolTCP || p.Remote.Protocol != webrtc.ICEProtocolTCP {
			t.Fatalf("selected pair %s is not TCP", p)
		}
	}
}
