package signaling_test

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// Media re-established inside a membership (issue 14 item 2, PROTOCOL.md
// §9 mediaReset): real Pion members on 127.0.0.1; each time media comes
// back without leave and join.

// flowingSince waits until r has delivered packets after t (media flows
// again) and returns how many.
func flowingSince(t *testing.T, what string, m *member, id string, since time.Time, n int) {
	t.Helper()
	poll(t, 3*mediaWait, what, func() bool {
		r := m.track(id)
		return r != nil && len(r.since(since)) >= n
	})
}

// waitReset waits until m's session reset its media for the server's
// mediaReset event with reason (the session takes the event itself).
func waitReset(t *testing.T, m *member, reason string) {
	t.Helper()
	poll(t, mediaWait, m.id+" resetting its media for "+reason, func() bool {
		for _, r := range m.resets() {
			if r == reason {
				return true
			}
		}
		return false
	})
}

// newAV waits for a `tracks` event on c announcing user's audio and
// video with a video track other than oldVideo (published again after a
// reset) and returns the new ids.
func newAV(t *testing.T, c *client.Client, user, oldVideo string) (string, string) {
	t.Helper()
	tracks := waitTracks(t, c, user, func(tr []signaling.Track) bool {
		v, _ := byKind(tr, "video")
		return avTracks(tr) && v.TrackID != oldVideo
	})
	v, _ := byKind(tracks, "video")
	a, _ := byKind(tracks, "audio")
	return v.TrackID, a.TrackID
}

// TestMediaResetWhenClientPCsClose: alice's publisher PC is closed under
// her client mid-call; the server notices (DTLS close_notify closes its
// PC), drops her media, tells her with mediaReset peerFailed, her client
// publishes again and bob receives her new tracks. Then bob's subscriber
// PC is closed under him: he gets mediaReset, a fresh subscriber offer,
// and receives alice again.
func TestMediaResetWhenClientPCsClose(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "kill", "alice", "bob")
	alice, bob := ms[0], ms[1]
	v, a := publishedAV(t, alice)
	bob.waitTrack(v, 5)
	bob.waitTrack(a, 5)

	killed := time.Now()
	if err := alice.s.Publisher().Close(); err != nil {
		t.Fatal(err)
	}
	waitReset(t, alice, "peerFailed")
	if d := time.Since(killed); d > 5*time.Second {
		t.Fatalf("the server noticed the closed PC after %v", d)
	}
	// bob sees alice's tracks go, then her new ones.
	nv, na := newAV(t, bob.c, "alice", v)
	if na == a {
		t.Fatalf("alice's audio track after the reset kept its id %s", na)
	}
	flowingSince(t, "bob receiving alice's republished video", bob, nv, killed, 20)
	flowingSince(t, "bob receiving alice's republished audio", bob, na, killed, 20)
	if got := alice.resets(); len(got) != 1 {
		t.Fatalf("alice's resets: %q", got)
	}

	killed = time.Now()
	if err := bob.s.Subscriber().Close(); err != nil {
		t.Fatal(err)
	}
	waitReset(t, bob, "peerFailed")
	flowingSince(t, "bob receiving alice's video on his new subscriber pc", bob, nv, killed, 20)
	flowingSince(t, "bob receiving alice's audio on his new subscriber pc", bob, na, killed, 20)
	if st := bob.s.Subscriber().ConnectionState(); st != webrtc.PeerConnectionStateConnected {
		t.Fatalf("bob's new subscriber pc is %s", st)
	}
	noEvent(t, alice.c, signaling.TypeUserLeft)
}

// TestMediaResetRequest: a member asks for a reset (empty result, no
// event echoed), gets a fresh subscriber offer and receives again; a
// non-member is refused with not_found.
func TestMediaResetRequest(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "ask", "alice", "bob")
	alice, bob := ms[0], ms[1]
	v, _ := publishedAV(t, alice)
	bob.waitTrack(v, 5)
	offers := bob.s.SubscriberOffers()

	carol := h.dial("carol")
	wantCode(t, carol.Request(ctx(t), signaling.TypeMediaReset, signaling.MediaResetRequest{CallID: "ask"}, nil), "not_found")
	wantCode(t, carol.Request(ctx(t), signaling.TypeMediaReset, signaling.MediaResetRequest{CallID: "nope"}, nil), "not_found")
	wantCode(t, carol.Request(ctx(t), signaling.TypeMediaReset, map[string]any{}, nil), "bad_request")

	asked := time.Now()
	bob.s.Reset()
	poll(t, 3*mediaWait, "bob answering a fresh offer", func() bool { return bob.s.SubscriberOffers() > offers })
	flowingSince(t, "bob receiving alice again", bob, v, asked, 20)
	if got := bob.resets(); len(got) != 1 || got[0] != "" {
		t.Fatalf("bob's resets %q, want one of his own (no mediaReset event echoed)", got)
	}
}

// TestPublisherICERestartKeepsTracks: alice restarts ICE on her publisher
// PC (new credentials in a new offer); the server accepts it on the same
// PeerConnection: no reset, same tracks, bob keeps receiving.
func TestPublisherICERestartKeepsTracks(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "restart", "alice", "bob")
	alice, bob := ms[0], ms[1]
	v, _ := publishedAV(t, alice)
	bob.waitTrack(v, 5)
	ufrag := func() string {
		for _, l := range strings.Split(alice.s.Publisher().LocalDescription().SDP, "\r\n") {
			if strings.HasPrefix(l, "a=ice-ufrag:") {
				return l
			}
		}
		return ""
	}
	before := ufrag()
	mustOK(t, alice.s.RestartPublisherICE(ctx(t)))
	if after := ufrag(); after == before || after == "" {
		t.Fatalf("ice credentials not renewed: %q → %q", before, after)
	}
	restarted := time.Now()
	flowingSince(t, "bob receiving alice after her ICE restart", bob, v, restarted, 20)
	if r := alice.resets(); len(r) != 0 {
		t.Fatalf("alice's media was reset: %q", r)
	}
}

// TestMediaResumeReattachesSession: bob's WebSocket drops; he resumes on a
// new connection and attaches his media session to it. alice's media keeps
// reaching him, and he can publish through the resumed connection.
func TestMediaResumeReattachesSession(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "resume", "alice", "bob")
	alice, bob := ms[0], ms[1]
	v, _ := publishedAV(t, alice)
	bob.waitTrack(v, 5)

	sid := bob.c.SessionID()
	bob.c.Drop()
	bob2 := h.dialWith(client.Config{Token: h.token("bob", "Name-of-bob"), DeviceID: "d1", Resume: sid})
	if !bob2.Hello().Resumed {
		t.Fatalf("not resumed: %+v", bob2.Hello())
	}
	mustOK(t, bob.s.Attach(bob2))
	if bob.s.Client() != bob2 {
		t.Fatal("the session did not move to the resumed client")
	}
	bob.c = bob2
	resumed := time.Now()
	flowingSince(t, "bob receiving alice after the resume", bob, v, resumed, 20)
	bv, ba := publishedAV(t, bob)
	alice.waitTrack(bv, 10)
	alice.waitTrack(ba, 10)

	// The WebSocket drops again and bob's subscriber PC dies meanwhile:
	// after the resume his session finds it closed and starts again.
	sid = bob2.SessionID()
	bob2.Drop()
	if err := bob.s.Subscriber().Close(); err != nil {
		t.Fatal(err)
	}
	bob3 := h.dialWith(client.Config{Token: h.token("bob", "Name-of-bob"), DeviceID: "d1", Resume: sid})
	mustOK(t, bob.s.Attach(bob3))
	bob.c = bob3
	resumed = time.Now()
	flowingSince(t, "bob receiving alice after his pc died during the outage", bob, v, resumed, 20)
	nbv, _ := newAV(t, alice.c, "bob", bv)
	flowingSince(t, "alice receiving bob's republished video", alice, nbv, resumed, 10)
}

// dropConn is a UDP socket that can be switched to drop every datagram
// both ways, as a network outage would; the client's ICE runs over it
// through a UDP mux.
type dropConn struct {
	net.PacketConn
	drop atomic.Bool
}

func (c *dropConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.drop.Load() {
			return n, a, err
		}
	}
}

func (c *dropConn) WriteTo(b []byte, a net.Addr) (int, error) {
	if c.drop.Load() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, a)
}

// droppableAPI is a client API whose ICE runs over a dropConn.
func droppableAPI(t *testing.T, failed time.Duration) (*webrtc.API, *dropConn) {
	t.Helper()
	if relayMode() {
		// The drop cuts the client's own UDP socket; relayed media leaves
		// through the TURN client's socket instead, which it does not cut.
		t.Skip("relay mode: the outage is simulated on the client's host UDP socket")
	}
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dc := &dropConn{PacketConn: udp}
	mux := webrtc.NewICEUDPMux(nil, dc)
	t.Cleanup(func() { _ = mux.Close() })
	api, err := client.NewMediaAPI(client.MediaAPIConfig{
		LoopbackOnly: true,
		Settings: func(se *webrtc.SettingEngine) {
			se.SetICETimeouts(2*time.Second, failed, 300*time.Millisecond)
			se.SetICEUDPMux(mux)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return api, dc
}

// TestSubscriberICERestartAfterShortOutage: bob's media network drops for
// 7 s, long enough for the server's subscriber PC to go disconnected (5 s)
// but shorter than bob's ICE failure timeout: the server offers an ICE
// restart on the same PC, bob answers it, and media resumes without a
// media reset.
func TestSubscriberICERestartAfterShortOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("7 s outage")
	}
	h := newMediaHarness(t)
	api := clientAPI(t)
	bobAPI, dc := droppableAPI(t, 30*time.Second)
	alice := joinCall(t, h, api, "short", "alice")[0]
	bc := h.dial("bob")
	if _, err := bc.Join(ctx(t), signaling.JoinRequest{CallID: "short"}); err != nil {
		t.Fatal(err)
	}
	bob := startMedia(t, bobAPI, "bob", bc, "short")
	v, _ := publishedAV(t, alice)
	bob.waitTrack(v, 5)
	offers := bob.s.SubscriberOffers()
	ufrag := func() string {
		for _, l := range strings.Split(bob.s.Subscriber().RemoteDescription().SDP, "\r\n") {
			if strings.HasPrefix(l, "a=ice-ufrag:") {
				return l
			}
		}
		return ""
	}
	before := ufrag()

	dc.drop.Store(true)
	cut := time.Now()
	poll(t, mediaWait, "an ICE restart offer answered during the outage", func() bool { return bob.s.SubscriberOffers() > offers })
	for time.Since(cut) < 7*time.Second {
		time.Sleep(100 * time.Millisecond) // the outage's length, not a synchronisation
	}
	dc.drop.Store(false)
	back := time.Now()
	flowingSince(t, "bob receiving alice after the short outage", bob, v, back, 20)
	if after := ufrag(); after == before {
		t.Fatalf("the server's subscriber ICE credentials did not change (%s)", after)
	}
	if r := bob.resets(); len(r) != 0 {
		t.Fatalf("bob's media was reset: %q", r)
	}
	t.Logf("media back %v after the outage; restart offer answered", time.Since(back))
}

// TestMediaComesBackAfterNetworkOutage: bob's media network is cut for
// 40 s while his WebSocket stays up; media comes back on its own after the
// outage, without leave and join.
func TestMediaComesBackAfterNetworkOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("40 s outage")
	}
	h := newMediaHarness(t)
	api := clientAPI(t)
	bobAPI, dc := droppableAPI(t, 3*time.Second)
	alice := joinCall(t, h, api, "outage", "alice")[0]
	bc := h.dial("bob")
	if _, err := bc.Join(ctx(t), signaling.JoinRequest{CallID: "outage"}); err != nil {
		t.Fatal(err)
	}
	bob := startMedia(t, bobAPI, "bob", bc, "outage")
	v, _ := publishedAV(t, alice)
	bv, _ := publishedAV(t, bob)
	bob.waitTrack(v, 5)
	alice.waitTrack(bv, 5)

	dc.drop.Store(true)
	cut := time.Now()
	// The outage is real: nothing reaches bob for a while.
	poll(t, mediaWait, "bob's media stopping", func() bool { return time.Since(bob.track(v).last()) > 2*time.Second })
	for time.Since(cut) < 40*time.Second {
		if bob.c.CloseCode() != 0 {
			t.Fatal("bob's WebSocket closed during the media outage")
		}
		time.Sleep(100 * time.Millisecond) // the outage's length, not a synchronisation
	}
	dc.drop.Store(false)
	back := time.Now()
	flowingSince(t, "bob receiving alice after the outage", bob, v, back, 20)
	nbv, _ := newAV(t, alice.c, "bob", bv)
	flowingSince(t, "alice receiving bob after the outage", alice, nbv, back, 20)
	t.Logf("media back %v after the outage ended; bob reset %d times", time.Since(back), bob.s.MediaResets())
	noEvent(t, alice.c, signaling.TypeUserLeft)
}
