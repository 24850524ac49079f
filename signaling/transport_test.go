package signaling_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// ---- raw WebSocket helper ----
//
// The Go client hides the raw JSON of replies (and answers pings for us), so
// the transport and hello tests talk to the server through rawConn: a gorilla
// connection whose messages are collected by one reader goroutine.

// rawOpts tunes a raw connection.
type rawOpts struct {
	// silent makes the connection ignore server pings (no pong replies).
	silent bool
	// noReader starts no reader: nothing is ever read from the socket.
	noReader bool
	// rcvBuf, if set, shrinks the socket's receive buffer before connect.
	rcvBuf int
}

// rawConn is a WebSocket connection to the server without the Go client.
type rawConn struct {
	t     *testing.T
	ws    *websocket.Conn
	msgs  chan []byte
	done  chan struct{}
	pings atomic.Int64

	wmu  sync.Mutex
	mu   sync.Mutex
	code int // close code received; guarded by mu
}

// raw opens a connection without hello.
func (h *harness) raw(opts ...rawOpts) *rawConn {
	h.t.Helper()
	var o rawOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	d := &websocket.Dialer{HandshakeTimeout: wait}
	if o.rcvBuf > 0 {
		nd := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.rcvBuf)
			})
			if err != nil {
				return err
			}
			return serr
		}}
		d.NetDialContext = nd.DialContext
	}
	ws, resp, err := d.DialContext(ctx(h.t), h.url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		h.t.Fatalf("raw dial: %v", err)
	}
	rc := &rawConn{t: h.t, ws: ws, msgs: make(chan []byte, 1<<14), done: make(chan struct{})}
	ws.SetPingHandler(func(data string) error {
		rc.pings.Add(1)
		if o.silent {
			return nil
		}
		rc.wmu.Lock()
		defer rc.wmu.Unlock()
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	if o.noReader {
		close(rc.done)
	} else {
		go rc.readLoop()
	}
	h.t.Cleanup(rc.close)
	return rc
}

// readLoop collects messages until the connection ends.
func (rc *rawConn) readLoop() {
	defer close(rc.done)
	for {
		_, data, err := rc.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				rc.mu.Lock()
				rc.code = ce.Code
				rc.mu.Unlock()
			}
			return
		}
		rc.msgs <- data
	}
}

// close ends the connection (idempotent) and waits for the reader.
func (rc *rawConn) close() {
	rc.wmu.Lock()
	_ = rc.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(100*time.Millisecond))
	rc.wmu.Unlock()
	_ = rc.ws.Close()
	<-rc.done
}

// sendErr writes one text message.
func (rc *rawConn) sendErr(msg []byte) error {
	rc.wmu.Lock()
	defer rc.wmu.Unlock()
	_ = rc.ws.SetWriteDeadline(time.Now().Add(wait))
	return rc.ws.WriteMessage(websocket.TextMessage, msg)
}

// send writes one text message and fails the test on error.
func (rc *rawConn) send(msg string) {
	rc.t.Helper()
	if err := rc.sendErr([]byte(msg)); err != nil {
		rc.t.Fatalf("send: %v", err)
	}
}

// sendJSON encodes v as one message.
func (rc *rawConn) sendJSON(v any) {
	rc.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.send(string(b))
}

// next returns the next message, failing on timeout or close.
func (rc *rawConn) next() []byte {
	rc.t.Helper()
	select {
	case m := <-rc.msgs:
		return m
	default:
	}
	select {
	case m := <-rc.msgs:
		return m
	case <-rc.done:
		select {
		case m := <-rc.msgs:
			return m
		default:
		}
		rc.t.Fatalf("connection closed (code %d) while waiting for a message", rc.closeCode())
	case <-time.After(wait):
		rc.t.Fatal("no message within the wait")
	}
	return nil
}

// nextMap returns the next message as a generic map.
func (rc *rawConn) nextMap() map[string]any {
	rc.t.Helper()
	return rawJSON(rc.t, rc.next())
}

// closeCode returns the close code received so far (0 if none).
func (rc *rawConn) closeCode() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.code
}

// waitClose waits for the server to end the connection and returns the
// messages that arrived before the end and the close code (1006 when the
// socket went away without a close frame).
func (rc *rawConn) waitClose() ([]map[string]any, int) {
	rc.t.Helper()
	var msgs []map[string]any
	deadline := time.After(wait)
	for {
		select {
		case m := <-rc.msgs:
			msgs = append(msgs, rawJSON(rc.t, m))
			continue
		default:
		}
		select {
		case m := <-rc.msgs:
			msgs = append(msgs, rawJSON(rc.t, m))
		case <-rc.done:
			for {
				select {
				case m := <-rc.msgs:
					msgs = append(msgs, rawJSON(rc.t, m))
				default:
					code := rc.closeCode()
					if code == 0 {
						code = websocket.CloseAbnormalClosure
					}
					return msgs, code
				}
			}
		case <-deadline:
			rc.t.Fatalf("connection not closed; got %v", msgs)
		}
	}
}

// isOpen reports whether the reader is still running.
func (rc *rawConn) isOpen() bool {
	select {
	case <-rc.done:
		return false
	default:
		return true
	}
}

// hello signs in with a token and device, and returns the result data.
func (rc *rawConn) hello(token, device string) map[string]any {
	rc.t.Helper()
	rc.sendJSON(map[string]any{"id": "hello-1", "type": "hello",
		"data": map[string]any{"token": token, "protocol": 1, "deviceId": device}})
	m := rc.nextMap()
	if m["type"] != "result" || m["id"] != "hello-1" {
		rc.t.Fatalf("hello: %v", m)
	}
	data, _ := m["data"].(map[string]any)
	if data == nil {
		rc.t.Fatalf("hello result without data: %v", m)
	}
	return data
}

// signedIn opens a raw connection and signs user in from device d1.
func (h *harness) signedIn(user string, opts ...rawOpts) *rawConn {
	h.t.Helper()
	rc := h.raw(opts...)
	rc.hello(h.token(user, "Name-of-"+user), "d1")
	return rc
}

// ping sends a ping with id and waits for the pong; other messages before it
// are returned.
func (rc *rawConn) ping(id string) []map[string]any {
	rc.t.Helper()
	rc.sendJSON(map[string]any{"id": id, "type": "ping"})
	var before []map[string]any
	for {
		m := rc.nextMap()
		if m["type"] == "pong" && m["id"] == id {
			return before
		}
		before = append(before, m)
	}
}

// expectError reads the next message and checks it is an error with code;
// id "" means the message must have no id key.
func (rc *rawConn) expectError(code, id string) map[string]any {
	rc.t.Helper()
	m := rc.nextMap()
	checkError(rc.t, m, code, id)
	return m
}

// checkError checks a decoded message is an error with code and id ("" =
// no id key at all).
func checkError(t *testing.T, m map[string]any, code, id string) {
	t.Helper()
	if m["type"] != "error" {
		t.Fatalf("want error %s, got %v", code, m)
	}
	e, _ := m["error"].(map[string]any)
	if e == nil || e["code"] != code {
		t.Fatalf("want error code %s, got %v", code, m)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without message: %v", m)
	}
	gotID, has := m["id"]
	if id == "" {
		if has {
			t.Fatalf("error must have no id key: %v", m)
		}
		return
	}
	if gotID != id {
		t.Fatalf("want error with id %q, got %v", id, m)
	}
}

// req builds a request message.
func req(id, typ string, data any) map[string]any {
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if data != nil {
		m["data"] = data
	}
	return m
}

// ---- tests ----

func TestTransportMalformedJSONAfterHello(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	for _, bad := range []string{`{`, `not json`, `[]`, `"str"`, `{"id":"x","type":"ping"`, ``, `null`, `42`,
		"\v{\"type\":\"ping\"}", "{\"type\":\"ping\"}\u00a0", // not JSON whitespace
		"{\"id\":\"\xff\",\"type\":\"ping\"}", // not UTF-8
	} {
		rc.send(bad)
		rc.expectError(signaling.CodeBadRequest, "")
	}
	// A binary frame is not a JSON text message either.
	rc.wmu.Lock()
	err := rc.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"id":"b","type":"ping"}`))
	rc.wmu.Unlock()
	mustOK(t, err)
	rc.expectError(signaling.CodeBadRequest, "")
	if extra := rc.ping("after"); len(extra) != 0 {
		t.Fatalf("unexpected messages: %v", extra)
	}
}

func TestTransportUnknownTypeAndBadTypes(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	rc.sendJSON(req("u1", "dance", map[string]any{}))
	rc.expectError(signaling.CodeBadRequest, "u1")
	rc.sendJSON(req("u2", "result", nil)) // a server-only type
	rc.expectError(signaling.CodeBadRequest, "u2")
	rc.sendJSON(req("u3", "incomingCall", map[string]any{}))
	rc.expectError(signaling.CodeBadRequest, "u3")
	rc.send(`{"id":"u4","type":5}`)
	rc.expectError(signaling.CodeBadRequest, "u4")
	rc.send(`{"id":"u5"}`)
	rc.expectError(signaling.CodeBadRequest, "u5")
	rc.send(`{"id":"u6","type":null}`)
	rc.expectError(signaling.CodeBadRequest, "u6")
	rc.send(`{"type":"Ping"}`) // types are case-sensitive
	rc.expectError(signaling.CodeBadRequest, "")
	rc.ping("ok")
}

func TestTransportMissingAndIllTypedFields(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	cases := []struct {
		name string
		msg  string
	}{
		{"leave without data", `{"id":"%s","type":"leave"}`},
		{"leave null data", `{"id":"%s","type":"leave","data":null}`},
		{"leave without callID", `{"id":"%s","type":"leave","data":{}}`},
		{"leave callID number", `{"id":"%s","type":"leave","data":{"callID":5}}`},
		{"data is a string", `{"id":"%s","type":"leave","data":"c1"}`},
		{"data is an array", `{"id":"%s","type":"join","data":["c1"]}`},
		{"invite without type", `{"id":"%s","type":"invite","data":{"invitees":[{"id":"bob"}]}}`},
		{"invite without invitees", `{"id":"%s","type":"invite","data":{"type":"video"}}`},
		{"invitees not array", `{"id":"%s","type":"invite","data":{"type":"video","invitees":"bob"}}`},
		{"invitee id number", `{"id":"%s","type":"invite","data":{"type":"video","invitees":[{"id":7}]}}`},
		{"timeoutSeconds string", `{"id":"%s","type":"invite","data":{"type":"video","invitees":[{"id":"bob"}],"timeoutSeconds":"60"}}`},
		{"timeoutSeconds fraction", `{"id":"%s","type":"invite","data":{"type":"video","invitees":[{"id":"bob"}],"timeoutSeconds":1.5}}`},
		{"camera string", `{"id":"%s","type":"setDevice","data":{"callID":"c1","camera":"yes"}}`},
		{"audioRoute unknown", `{"id":"%s","type":"setDevice","data":{"callID":"c1","audioRoute":"loud"}}`},
		{"reject reason unknown", `{"id":"%s","type":"reject","data":{"callID":"c1","reason":"maybe"}}`},
		{"remove userIDs missing", `{"id":"%s","type":"remove","data":{"callID":"c1"}}`},
		{"remove userIDs not strings", `{"id":"%s","type":"remove","data":{"callID":"c1","userIDs":[1]}}`},
		{"subscribe without quality", `{"id":"%s","type":"subscribe","data":{"callID":"c1","trackID":"t1"}}`},
		{"offer wrong target", `{"id":"%s","type":"offer","data":{"callID":"c1","target":"subscriber","sdp":"v=0"}}`},
		{"answer without sdp", `{"id":"%s","type":"answer","data":{"callID":"c1","target":"subscriber"}}`},
		{"trickle without target", `{"id":"%s","type":"trickle","data":{"callID":"c1","candidate":null}}`},
		{"callConfig field ill-typed", `{"id":"%s","type":"join","data":{"callID":"c1","type":"video","callConfig":{"canInvitingInCalling":"yes"}}}`},
	}
	for i, c := range cases {
		id := fmt.Sprintf("m%d", i)
		rc.send(fmt.Sprintf(c.msg, id))
		m := rc.nextMap()
		if m["type"] != "error" {
			t.Fatalf("%s: want bad_request, got %v", c.name, m)
		}
		checkError(t, m, signaling.CodeBadRequest, id)
	}
	rc.ping("still-open")
}

func TestTransportUnknownFieldsIgnored(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.signedIn("alice"), h.dial("bob")
	// Unknown fields in the envelope and in the data of a ping.
	alice.send(`{"id":"p1","type":"ping","extra":{"deep":[1,2,3]},"data":{"whatever":true}}`)
	if m := alice.nextMap(); m["type"] != "pong" || m["id"] != "p1" {
		t.Fatalf("want pong p1, got %v", m)
	}
	// An unknown field in a join request: the request is still processed.
	alice.send(`{"id":"j1","type":"join","data":{"callID":"room-x","type":"voice","color":"blue","callConfig":{"shiny":1}},"meta":"x"}`)
	m := alice.nextMap()
	if m["type"] != "result" || m["id"] != "j1" {
		t.Fatalf("join with unknown field: %v", m)
	}
	if d := m["data"].(map[string]any); d["callID"] != "room-x" || d["type"] != "voice" {
		t.Fatalf("join result: %v", m)
	}
	_, err := bob.Join(ctx(t), signaling.JoinRequest{CallID: "room-x"})
	mustOK(t, err)
	// setDevice with an unknown field is processed: bob sees deviceState.
	alice.send(`{"id":"s1","type":"setDevice","data":{"callID":"room-x","microphone":false,"sparkle":"on"}}`)
	var gotResult, gotState bool
	for !gotResult || !gotState {
		m := alice.nextMap()
		switch {
		case m["type"] == "result" && m["id"] == "s1":
			gotResult = true
		case m["type"] == "deviceState":
			gotState = true
		case m["type"] == "userJoined", m["type"] == "invitationStateChanged":
		default:
			t.Fatalf("unexpected %v", m)
		}
	}
	ds := waitMatch(t, bob, signaling.TypeDeviceState, func(e *signaling.DeviceState) bool { return e.UserID == "alice" })
	if ds.Microphone || ds.Camera || ds.AudioRoute != "speaker" || ds.CallID != "room-x" {
		t.Fatalf("deviceState: %+v", ds)
	}
}

func TestTransportEnvelopeID(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	long := strings.Repeat("i", 65)
	// Over 64 chars: bad_request without any id key, even on a ping.
	rc.sendJSON(req(long, "ping", nil))
	m := rc.expectError(signaling.CodeBadRequest, "")
	if _, has := m["id"]; has {
		t.Fatalf("id key present: %v", m)
	}
	rc.sendJSON(req(long, "leave", map[string]any{"callID": "c"}))
	rc.expectError(signaling.CodeBadRequest, "")
	// Exactly 64 chars is a valid id.
	ok64 := strings.Repeat("i", 64)
	rc.sendJSON(req(ok64, "ping", nil))
	if m := rc.nextMap(); m["type"] != "pong" || m["id"] != ok64 {
		t.Fatalf("want pong with the 64-char id, got %v", m)
	}
	// Characters are code points: 64 × "é" (128 bytes) is a valid id,
	// 65 are too many.
	rc.sendJSON(req(strings.Repeat("é", 64), "ping", nil))
	if m := rc.nextMap(); m["type"] != "pong" || m["id"] != strings.Repeat("é", 64) {
		t.Fatalf("want pong with the 64-character id, got %v", m)
	}
	rc.sendJSON(req(strings.Repeat("é", 65), "ping", nil))
	rc.expectError(signaling.CodeBadRequest, "")
	// An id that is not a string is an ill-typed field: bad_request,
	// without id since none could be read, and the request is not run.
	rc.send(`{"id":5,"type":"ping"}`)
	rc.expectError(signaling.CodeBadRequest, "")
	rc.send(`{"id":{"a":1},"type":"leave","data":{"callID":"c"}}`)
	rc.expectError(signaling.CodeBadRequest, "")
	// A null id is no id.
	rc.send(`{"id":null,"type":"ping"}`)
	if m := rc.nextMap(); m["type"] != "pong" {
		t.Fatalf("want pong, got %v", m)
	} else if _, has := m["id"]; has {
		t.Fatalf("pong for a null id carries an id: %v", m)
	}
	// The empty string is an id like any other.
	rc.send(`{"id":"","type":"ping"}`)
	if m := rc.nextMap(); m["type"] != "pong" || m["id"] != "" {
		t.Fatalf("want pong with empty id, got %v", m)
	}
	rc.ping("end")
}

func TestTransportPingPong(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	rc.send(`{"id":"p-1","type":"ping"}`)
	m := rc.nextMap()
	if m["type"] != "pong" || m["id"] != "p-1" {
		t.Fatalf("pong: %v", m)
	}
	if len(m) != 2 {
		t.Fatalf("pong carries more than id and type: %v", m)
	}
	rc.send(`{"type":"ping"}`)
	m = rc.nextMap()
	if m["type"] != "pong" {
		t.Fatalf("pong: %v", m)
	}
	if _, has := m["id"]; has {
		t.Fatalf("pong to a ping without id carries an id: %v", m)
	}
	// Pongs answer in order.
	for i := 0; i < 20; i++ {
		rc.sendJSON(req(fmt.Sprint("o", i), "ping", nil))
	}
	for i := 0; i < 20; i++ {
		if m := rc.nextMap(); m["type"] != "pong" || m["id"] != fmt.Sprint("o", i) {
			t.Fatalf("pong %d: %v", i, m)
		}
	}
}

func TestTransportRequestWithoutID(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	// A failing request without id: an error without id.
	rc.sendJSON(req("", "leave", map[string]any{"callID": "nowhere"}))
	rc.expectError(signaling.CodeNotFound, "")
	rc.sendJSON(req("", "leave", map[string]any{"callID": "bad id"}))
	rc.expectError(signaling.CodeBadRequest, "")
	// A successful one: no reply at all, but it is processed.
	rc.sendJSON(req("", "join", map[string]any{"callID": "quiet", "type": "video"}))
	if extra := rc.ping("x"); len(extra) != 0 {
		t.Fatalf("a successful request without id got a reply: %v", extra)
	}
	rc.sendJSON(req("j", "join", map[string]any{"callID": "quiet"}))
	m := rc.nextMap()
	if m["type"] != "result" || m["id"] != "j" {
		t.Fatalf("join (idempotent) after an id-less join: %v", m)
	}
	if d := m["data"].(map[string]any); len(d["members"].([]any)) != 1 {
		t.Fatalf("want one member: %v", m)
	}
}

func TestTransportMessageSizeLimit(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	// A ping padded with an unknown field to exactly 65,536 bytes.
	msg := func(size int, id string) []byte {
		prefix := `{"id":"` + id + `","type":"ping","pad":"`
		suffix := `"}`
		return []byte(prefix + strings.Repeat("x", size-len(prefix)-len(suffix)) + suffix)
	}
	exact := msg(signaling.MaxMessageBytes, "big")
	if len(exact) != 65536 {
		t.Fatal(len(exact))
	}
	mustOK(t, rc.sendErr(exact))
	if m := rc.nextMap(); m["type"] != "pong" || m["id"] != "big" {
		t.Fatalf("65,536-byte message: %v", m)
	}
	over := msg(signaling.MaxMessageBytes+1, "bigger")
	mustOK(t, rc.sendErr(over))
	msgs, code := rc.waitClose()
	if code != websocket.CloseMessageTooBig {
		t.Fatalf("want close 1009, got %d (messages %v)", code, msgs)
	}
	if len(msgs) != 0 {
		t.Fatalf("the oversize message was answered: %v", msgs)
	}
}

func TestTransportMessageSizeLimitFragmented(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	// The limit applies after reassembly: 65,537 bytes in 2 fragments.
	rc.wmu.Lock()
	w, err := rc.ws.NextWriter(websocket.TextMessage)
	mustOK(t, err)
	_, err = w.Write([]byte(`{"type":"ping","pad":"` + strings.Repeat("y", 40000)))
	mustOK(t, err)
	_, err = w.Write([]byte(strings.Repeat("y", signaling.MaxMessageBytes+1-40000-len(`{"type":"ping","pad":"`)-2) + `"}`))
	mustOK(t, err)
	err = w.Close()
	rc.wmu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	_, code := rc.waitClose()
	if code != websocket.CloseMessageTooBig {
		t.Fatalf("want close 1009, got %d", code)
	}
}

func TestTransportServerPings(t *testing.T) {
	// PeerTimeout leaves room for a starved -race run on two busy cores (a
	// 400 ms timeout dropped an answering peer there once).
	const peerTimeout = time.Second
	h := newHarness(t, func(c *signaling.Config) {
		c.PingInterval = 20 * time.Millisecond
		c.PeerTimeout = peerTimeout
	})
	start := time.Now()
	rc := h.signedIn("alice")
	// A peer that answers pings (and sends nothing else) is kept well past
	// PeerTimeout: wait for three of them to pass, and for pings.
	deadline := time.Now().Add(wait)
	for time.Since(start) < 3*peerTimeout || rc.pings.Load() < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d server pings", rc.pings.Load())
		}
		if !rc.isOpen() {
			t.Fatalf("answering peer was dropped after %d pings", rc.pings.Load())
		}
		runtimeYield()
	}
	rc.ping("alive")
	// Pings are sent before hello too.
	pre := h.raw()
	for pre.pings.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no server pings before hello")
		}
		runtimeYield()
	}
}

func TestTransportSilentPeerDropped(t *testing.T) {
	h := newHarness(t, func(c *signaling.Config) {
		c.PingInterval = 20 * time.Millisecond
		c.PeerTimeout = 200 * time.Millisecond
		c.ResumeGrace = 50 * time.Millisecond
	})
	bob := h.dial("bob")
	_, err := bob.Join(ctx(t), signaling.JoinRequest{CallID: "c1", Type: "video"})
	mustOK(t, err)
	rc := h.signedIn("alice", rawOpts{silent: true})
	// The join is the peer's last sign of life: the server reads it after
	// start, so the drop comes at least PeerTimeout after start.
	start := time.Now()
	rc.sendJSON(req("j", "join", map[string]any{"callID": "c1"}))
	if m := rc.nextMap(); m["type"] != "result" {
		t.Fatalf("join: %v", m)
	}
	_, code := rc.waitClose()
	if code == signaling.CloseUnauthorized || code == websocket.CloseNormalClosure {
		t.Fatalf("silent peer closed with %d", code)
	}
	if rc.pings.Load() == 0 {
		t.Fatal("no pings before the drop")
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("dropped after %v, before PeerTimeout", el)
	}
	// The drop starts the grace period; at its end the others see the
	// member leave as disconnected.
	l := waitEvent[signaling.UserLeft](t, bob, signaling.TypeUserLeft)
	if l.User.ID != "alice" || l.Reason != "disconnected" {
		t.Fatalf("userLeft: %+v", l)
	}
}

func TestTransportShutdownClosesEveryConnection(t *testing.T) {
	h := newHarness(t)
	alice := h.dial("alice")
	bob := h.dialDevice("bob", "phone")
	_, err := alice.Join(ctx(t), signaling.JoinRequest{CallID: "sd", Type: "voice"})
	mustOK(t, err)
	anon := h.raw()              // connected, never said hello
	rawIn := h.signedIn("carol") // signed in on a raw connection
	anon2 := h.raw()
	anon2.send(`{"id":"h","type":"hello","data":{"protocol":1}}`) // half-way: incomplete hello
	if _, code := anon2.waitClose(); code != signaling.CloseUnauthorized {
		t.Fatalf("incomplete hello: close %d", code)
	}
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	mustOK(t, h.shutdown(c))
	if code := waitClosed(t, alice); code != websocket.CloseGoingAway {
		t.Fatalf("alice: close %d", code)
	}
	if code := waitClosed(t, bob); code != websocket.CloseGoingAway {
		t.Fatalf("bob: close %d", code)
	}
	if _, code := anon.waitClose(); code != websocket.CloseGoingAway {
		t.Fatalf("connection without hello: close %d", code)
	}
	if _, code := rawIn.waitClose(); code != websocket.CloseGoingAway {
		t.Fatalf("carol: close %d", code)
	}
	// New connections are refused while draining.
	_, err = client.Connect(ctx(t), client.Config{URL: h.url})
	if err == nil {
		t.Fatal("connected after shutdown")
	}
}

// runtimeYield waits a little while polling; it is only used inside
// deadline-bounded polling loops.
func runtimeYield() { time.Sleep(2 * time.Millisecond) }

// ---- §2 identifier and field rules, through real requests ----

func TestTransportIdentifierRules(t *testing.T) {
	h := newHarness(t)
	alice := h.dial("alice")
	h.dial("bob")
	id64 := strings.Repeat("u", 64)
	id65 := strings.Repeat("u", 65)
	call128 := strings.Repeat("c", 128)
	call129 := strings.Repeat("c", 129)
	bad := []struct {
		name string
		typ  string
		data any
	}{
		{"user id with space", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "b ob"}}}},
		{"user id with slash", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "b/ob"}}}},
		{"user id non-ascii", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "böb"}}}},
		{"user id empty", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": ""}}}},
		{"user id 65 chars", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": id65}}}},
		{"call id 129 chars", "join", map[string]any{"callID": call129, "type": "video"}},
		{"call id with colon", "join", map[string]any{"callID": "a:b", "type": "video"}},
		{"invite call id 129", "invite", map[string]any{"type": "video", "callID": call129, "invitees": []any{map[string]any{"id": "bob"}}}},
		{"leave bad call id", "leave", map[string]any{"callID": "x y"}},
		{"remove bad user", "remove", map[string]any{"callID": "c", "userIDs": []any{"ok", "no pe"}}},
		{"remove 65-char user", "remove", map[string]any{"callID": "c", "userIDs": []any{id65}}},
		{"setRemoteDevice bad user", "setRemoteDevice", map[string]any{"callID": "c", "userID": "a#b", "camera": false}},
		{"cancel bad user", "cancel", map[string]any{"callID": "c", "userIDs": []any{"a\u0000"}}},
		{"subscribe 65-char track", "subscribe", map[string]any{"callID": "c", "trackID": id65, "quality": "low"}},
		{"subscribe bad track", "subscribe", map[string]any{"callID": "c", "trackID": "t*", "quality": "low"}},
		{"invitees empty", "invite", map[string]any{"type": "video", "invitees": []any{}}},
		{"invitees 10", "invite", map[string]any{"type": "video", "invitees": tenUsers()}},
		{"timeoutSeconds 0", "invite", map[string]any{"type": "video", "timeoutSeconds": 0, "invitees": []any{map[string]any{"id": "bob"}}}},
		{"timeoutSeconds 601", "invite", map[string]any{"type": "video", "timeoutSeconds": 601, "invitees": []any{map[string]any{"id": "bob"}}}},
		{"timeoutSeconds -1", "invite", map[string]any{"type": "video", "timeoutSeconds": -1, "invitees": []any{map[string]any{"id": "bob"}}}},
		{"invite oneself", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "alice"}}}},
		{"invite oneself among others", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "bob"}, map[string]any{"id": "alice"}}}},
		{"invite type unknown", "invite", map[string]any{"type": "hologram", "invitees": []any{map[string]any{"id": "bob"}}}},
		{"invitee name with control char", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "bob", "name": "B\u0007b"}}}},
		{"invitee name 129 code points", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "bob", "name": strings.Repeat("é", 129)}}}},
		{"setDevice with no field", "setDevice", map[string]any{"callID": "c"}},
		{"setDevice nulls only", "setDevice", map[string]any{"callID": "c", "camera": nil, "microphone": nil}},
		{"setRemoteDevice with no device field", "setRemoteDevice", map[string]any{"callID": "c", "userID": "bob"}},
		{"cancel userIDs empty", "cancel", map[string]any{"callID": "c", "userIDs": []any{}}},
		{"join type unknown", "join", map[string]any{"callID": "c", "type": "fax"}},
	}
	for i, c := range bad {
		err := alice.Request(ctx(t), c.typ, c.data, nil)
		if client.Code(err) != signaling.CodeBadRequest {
			t.Errorf("%d %s: want bad_request, got %v", i, c.name, err)
		}
	}
	// Boundaries that are allowed: a 64-char user id and a 128-char call
	// id (a well-formed unknown user is just invited; it stays waiting).
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "video", CallID: call128,
		Invitees: []signaling.User{{ID: id64, Name: strings.Repeat("é", 128)}}, TimeoutSeconds: client.Int(600)})
	mustOK(t, err)
	if res.CallID != call128 || len(res.Invitees) != 1 || res.Invitees[0].User.ID != id64 ||
		res.Invitees[0].User.Name != strings.Repeat("é", 128) {
		t.Fatalf("invite result: %+v", res)
	}
	// A malformed identifier is bad_request even where a well-formed one
	// would be not_found (validation before state).
	err = alice.Request(ctx(t), "remove", map[string]any{"callID": "ghost-call", "userIDs": []any{"x!"}}, nil)
	wantCode(t, err, signaling.CodeBadRequest)
	err = alice.Request(ctx(t), "remove", map[string]any{"callID": "ghost-call", "userIDs": []any{"x"}}, nil)
	wantCode(t, err, signaling.CodeNotFound)
}

func tenUsers() []any {
	out := make([]any, 10)
	for i := range out {
		out[i] = map[string]any{"id": fmt.Sprint("user", i)}
	}
	return out
}

func TestTransportCustomDataLimit(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.dial("alice"), h.dial("bob")
	_, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob"}},
		CustomData: strings.Repeat("d", 4097)})
	wantCode(t, err, signaling.CodeTooLarge)
	// Multi-byte characters count in bytes: 2,049 × "é" is 4,098 bytes.
	_, err = alice.Invite(ctx(t), signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob"}},
		CustomData: strings.Repeat("é", 2049)})
	wantCode(t, err, signaling.CodeTooLarge)
	if bob.Has(signaling.TypeIncomingCall) {
		t.Fatal("a refused invite rang bob")
	}
	data := strings.Repeat("é", 2047) + "ab" // exactly 4,096 bytes
	res, err := alice.Invite(ctx(t), signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob"}},
		CustomData: data})
	mustOK(t, err)
	ic := waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	if ic.CustomData != data || ic.CallID != res.CallID {
		t.Fatalf("customData not passed through unchanged (%d bytes)", len(ic.CustomData))
	}
	// The limit applies to every customData.
	err = bob.Request(ctx(t), "accept", map[string]any{"callID": res.CallID, "customData": strings.Repeat("z", 4097)}, nil)
	wantCode(t, err, signaling.CodeTooLarge)
	err = bob.Request(ctx(t), "reject", map[string]any{"callID": res.CallID, "customData": strings.Repeat("z", 4097)}, nil)
	wantCode(t, err, signaling.CodeTooLarge)
	err = alice.Request(ctx(t), "cancel", map[string]any{"callID": res.CallID, "customData": strings.Repeat("z", 4097)}, nil)
	wantCode(t, err, signaling.CodeTooLarge)
	// Nothing was done by the refused requests: bob can still accept.
	_, err = bob.Accept(ctx(t), res.CallID, strings.Repeat("z", 4096))
	mustOK(t, err)
	acc := waitEvent[signaling.OutgoingCallAnswer](t, alice, signaling.TypeOutgoingCallAccepted)
	if len(acc.CustomData) != 4096 {
		t.Fatalf("accept customData: %d bytes", len(acc.CustomData))
	}
}
