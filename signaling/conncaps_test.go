package signaling_test

import (
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// dialFrom opens a WebSocket to h from a loopback source address and
// returns it with the HTTP status of the upgrade (101 when it succeeded).
func dialFrom(t *testing.T, h *harness, src string) (*websocket.Conn, int) {
	t.Helper()
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	d := &websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: wait}
	ws, resp, err := d.DialContext(ctx(t), h.url, nil)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial from %s: %v", src, err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { ws.Close() })
	return ws, resp.StatusCode
}

// TestPreHelloConnectionCaps fills the per-address and the total caps on
// connections that have not sent hello with real WebSocket connections
// from several loopback addresses: one more from a full address gets HTTP
// 429, one more anywhere once the total is full gets HTTP 503, and a
// successful hello or a closed connection frees its place. Before the caps,
// any number of silent connections were accepted.
func TestPreHelloConnectionCaps(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, func(c *signaling.Config) {
		c.MaxPendingConns = 3
		c.MaxPendingPerAddr = 2
		c.Registerer = reg
	})
	a1, st := dialFrom(t, h, "127.0.0.1")
	if st != http.StatusSwitchingProtocols {
		t.Fatalf("first connection: HTTP %d", st)
	}
	if _, st := dialFrom(t, h, "127.0.0.1"); st != http.StatusSwitchingProtocols {
		t.Fatalf("second connection: HTTP %d", st)
	}
	if _, st := dialFrom(t, h, "127.0.0.1"); st != http.StatusTooManyRequests {
		t.Fatalf("third connection from one address: HTTP %d, want 429", st)
	}
	if _, st := dialFrom(t, h, "127.0.0.2"); st != http.StatusSwitchingProtocols {
		t.Fatalf("connection from another address: HTTP %d", st)
	}
	if _, st := dialFrom(t, h, "127.0.0.3"); st != http.StatusServiceUnavailable {
		t.Fatalf("connection over the total: HTTP %d, want 503", st)
	}
	waitGauges(t, reg, map[string]float64{"ringsfu_connections_pending": 3, "ringsfu_connections": 3})

	// A successful hello frees its place: the next connection is taken.
	hello := fmt.Sprintf(`{"id":"h","type":"hello","data":{"token":%q,"protocol":1,"deviceId":"d"}}`, h.token("alice", "Alice"))
	mustOK(t, a1.WriteMessage(websocket.TextMessage, []byte(hello)))
	if _, msg, err := a1.ReadMessage(); err != nil || rawJSON(t, msg)["type"] != "result" {
		t.Fatalf("hello: %s %v", msg, err)
	}
	waitGauges(t, reg, map[string]float64{"ringsfu_connections_pending": 2, "ringsfu_connections": 3})
	b, st := dialFrom(t, h, "127.0.0.1")
	if st != http.StatusSwitchingProtocols {
		t.Fatalf("connection after a hello: HTTP %d", st)
	}
	// A closed connection frees its place too.
	b.Close()
	waitGauges(t, reg, map[string]float64{"ringsfu_connections_pending": 2})
	if _, st := dialFrom(t, h, "127.0.0.4"); st != http.StatusSwitchingProtocols {
		t.Fatalf("connection after a close: HTTP %d", st)
	}
	// The total is full again, yet the signed-in connection works on.
	if _, st := dialFrom(t, h, "127.0.0.5"); st != http.StatusServiceUnavailable {
		t.Fatalf("connection over the total: HTTP %d, want 503", st)
	}
	mustOK(t, a1.WriteMessage(websocket.TextMessage, []byte(`{"id":"p","type":"ping"}`)))
	if _, msg, err := a1.ReadMessage(); err != nil || rawJSON(t, msg)["type"] != "pong" {
		t.Fatalf("ping: %s %v", msg, err)
	}
}

// TestDeviceCapEndsTheOldestSession signs one user in on one device more
// than allowed: the oldest session ends (close 4010; its call membership
// ends as disconnected), a session in its grace period goes before any
// connected one, and the user never holds more sessions than the cap.
// Before the cap, a user could hold any number of sessions (500 in the
// probe).
func TestDeviceCapEndsTheOldestSession(t *testing.T) {
	const max = 4
	h := newHarness(t, func(c *signaling.Config) { c.MaxDevices = max })
	alice := h.dial("alice")
	devs := make([]*client.Client, max)
	for i := range devs {
		devs[i] = h.dialDevice("bob", fmt.Sprintf("d%d", i))
	}
	// d0, the oldest, is bob's member device in a call with alice.
	res := invite(t, alice, "video", "bob")
	waitEvent[signaling.IncomingCall](t, devs[0], signaling.TypeIncomingCall)
	_, err := devs[0].Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	waitEvent[signaling.UserJoined](t, alice, signaling.TypeUserJoined)

	h.dialDevice("bob", "d4")
	if code := waitClosed(t, devs[0]); code != signaling.CloseTooManyDevices {
		t.Fatalf("oldest device closed with %d, want %d", code, signaling.CloseTooManyDevices)
	}
	waitMatch(t, alice, signaling.TypeUserLeft, func(e *signaling.UserLeft) bool {
		return e.User.ID == "bob" && e.Reason == "disconnected"
	})
	if n := h.sessions(); n != max+1 { // bob's four and alice's
		t.Fatalf("%d sessions, want %d", n, max+1)
	}

	// d2 drops and sits in its grace period: it goes before d1, which is
	// older but connected.
	devs[2].Drop()
	h.dialDevice("bob", "d5")
	mustOK(t, devs[1].Ping(ctx(t)))
	c, err := client.Dial(ctx(t), client.Config{URL: h.nextURL(), Token: h.token("bob", "Bob"), DeviceID: "d2",
		Resume: devs[2].SessionID()})
	mustOK(t, err)
	defer c.Close()
	if c.Hello().Resumed {
		t.Fatal("the evicted session resumed")
	}
	// That hello was one device too many again: d1, now the oldest, ends.
	if code := waitClosed(t, devs[1]); code != signaling.CloseTooManyDevices {
		t.Fatalf("d1 closed with %d, want %d", code, signaling.CloseTooManyDevices)
	}
	if n := h.sessions(); n != max+1 {
		t.Fatalf("%d sessions, want %d", n, max+1)
	}
}
