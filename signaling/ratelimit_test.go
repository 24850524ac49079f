package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	b := newTokenBucket(10, 5, t0)
	for i := 0; i < 5; i++ {
		if !b.allow(t0) {
			t.Fatalf("burst token %d refused", i)
		}
	}
	if b.allow(t0) {
		t.Fatal("6th message in a burst of 5 allowed")
	}
	// 10/s: half a token after 50 ms is not enough, a whole one after 100 ms is.
	if b.allow(t0.Add(50 * time.Millisecond)) {
		t.Fatal("allowed with half a token")
	}
	if !b.allow(t0.Add(100 * time.Millisecond)) {
		t.Fatal("refused after refill of one token")
	}
	if b.allow(t0.Add(100 * time.Millisecond)) {
		t.Fatal("two messages on one refilled token")
	}
	// A long idle period refills to the burst, not beyond.
	t1 := t0.Add(time.Hour)
	n := 0
	for b.allow(t1) {
		n++
		if n > 100 {
			break
		}
	}
	if n != 5 {
		t.Fatalf("after idle: %d allowed, want burst 5", n)
	}
	// A clock going backwards adds nothing and does not break later refills.
	if b.allow(t1.Add(-time.Minute)) {
		t.Fatal("allowed on a clock going backwards")
	}
	if !b.allow(t1.Add(100 * time.Millisecond)) {
		t.Fatal("refill after a backwards step")
	}
}

func TestTokenBucketSustainedRate(t *testing.T) {
	// Default limits: 50/s sustained, burst 100. Over 10 s of one message
	// per millisecond, 100 + 50×10 pass (±1 for the boundaries).
	t0 := time.Unix(0, 0)
	b := newTokenBucket(50, 100, t0)
	passed := 0
	for ms := 0; ms < 10_000; ms++ {
		if b.allow(t0.Add(time.Duration(ms) * time.Millisecond)) {
			passed++
		}
	}
	if passed < 599 || passed > 601 {
		t.Fatalf("passed %d, want about 600", passed)
	}
}

func TestRefusalWindow(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	w := refusalWindow{window: 10 * time.Second, limit: 3}
	for i := 0; i < 3; i++ {
		if w.add(t0.Add(time.Duration(i) * time.Millisecond)) {
			t.Fatalf("refusal %d exceeded a limit of 3", i+1)
		}
	}
	if !w.add(t0.Add(9999 * time.Millisecond)) {
		t.Fatal("4th refusal within the window did not exceed a limit of 3")
	}

	// Refusals older than the window no longer count.
	w = refusalWindow{window: 10 * time.Second, limit: 3}
	for i := 0; i < 3; i++ {
		w.add(t0)
	}
	if w.add(t0.Add(10 * time.Second)) {
		t.Fatal("refusals exactly one window old still counted")
	}
	if w.add(t0.Add(11*time.Second)) || w.add(t0.Add(12*time.Second)) {
		t.Fatal("3 refusals in the window exceeded the limit of 3")
	}
	if !w.add(t0.Add(13 * time.Second)) {
		t.Fatal("4 refusals in the window did not exceed the limit of 3")
	}

	// A steady trickle below the limit never trips it, and memory stays
	// bounded by what is in the window.
	w = refusalWindow{window: time.Second, limit: 10}
	for i := 0; i < 10_000; i++ {
		if w.add(t0.Add(time.Duration(i) * 101 * time.Millisecond)) {
			t.Fatalf("trickle tripped the limit at %d", i)
		}
	}
	if len(w.times) > 10 {
		t.Fatalf("window keeps %d entries", len(w.times))
	}
}

// ---- whole server ----

// rlServer starts a server with the default limits unless mods change them.
func rlServer(t *testing.T, mods ...func(*Config)) string {
	t.Helper()
	cfg := Config{AppID: "rl", AppSecret: "rl-secret", Logger: zerolog.Nop()}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/v1/signal"
}

// rlConn is a signed-in connection read by the test goroutine.
type rlConn struct {
	t  *testing.T
	ws *websocket.Conn
}

// rlDial signs user in.
func rlDial(t *testing.T, url, user string) *rlConn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	tok, err := Mint(MintOptions{AppID: "rl", Secret: "rl-secret", UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	c := &rlConn{t: t, ws: ws}
	c.write(fmt.Sprintf(`{"id":"h","type":"hello","data":{"token":%q,"protocol":1,"deviceId":"d"}}`, tok))
	if env, err := c.read(); err != nil || env.Type != TypeResult {
		t.Fatalf("hello: %+v %v", env, err)
	}
	return c
}

func (c *rlConn) write(msg string) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, []byte(msg))
}

// read returns the next message; a close frame is returned as the error.
func (c *rlConn) read() (Envelope, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return Envelope{}, err
	}
	var env Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		c.t.Fatalf("bad JSON from server: %s", data)
	}
	// A message without id must carry no id key at all.
	var top map[string]json.RawMessage
	_ = json.Unmarshal(data, &top)
	if _, has := top["id"]; has && env.ID == nil {
		c.t.Fatalf("id key with null id: %s", data)
	}
	return env, nil
}

// readReply returns the next reply (result, error or pong), skipping events.
func (c *rlConn) readReply() (Envelope, error) {
	for {
		env, err := c.read()
		if err != nil || env.Type == TypeResult || env.Type == TypeError || env.Type == TypePong {
			return env, err
		}
	}
}

// closeCode extracts the close code from a read error (0 if none).
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func TestRateLimitBurstOfPings(t *testing.T) {
	url := rlServer(t)
	c := rlDial(t, url, "alice")
	const n = 150
	for i := 0; i < n; i++ {
		if err := c.write(fmt.Sprintf(`{"id":"p%d","type":"ping"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	pongs, limited := 0, 0
	for len(seen) < n {
		env, err := c.read()
		if err != nil {
			t.Fatalf("after %d replies: %v (close %d)", len(seen), err, closeCode(err))
		}
		if env.ID == nil {
			t.Fatalf("reply without id: %+v", env)
		}
		if seen[*env.ID] {
			t.Fatalf("two replies for %s", *env.ID)
		}
		seen[*env.ID] = true
		switch {
		case env.Type == TypePong:
			pongs++
		case env.Type == TypeError && env.Error != nil && env.Error.Code == CodeRateLimited:
			limited++
		default:
			t.Fatalf("unexpected reply %+v", env)
		}
	}
	// The burst of 100 passes (plus whatever refilled meanwhile); the rest
	// is refused.
	if pongs < 100 || limited == 0 || pongs+limited != n {
		t.Fatalf("pongs %d, rate_limited %d", pongs, limited)
	}
	// The connection stays open: once the bucket refills, pings pass.
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		id := fmt.Sprint("again", i)
		if err := c.write(`{"id":"` + id + `","type":"ping"}`); err != nil {
			t.Fatal(err)
		}
		env, err := c.read()
		if err != nil {
			t.Fatalf("connection closed after the burst: %v", err)
		}
		if env.ID == nil || *env.ID != id {
			t.Fatalf("reply %+v for %s", env, id)
		}
		if env.Type == TypePong {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bucket never refilled")
		}
		time.Sleep(25 * time.Millisecond) // one token refills in 20 ms
	}
}

func TestRateLimitRefusedMessagesAreNotProcessed(t *testing.T) {
	srvURL := rlServer(t, func(c *Config) { c.RateBurst = 1; c.RateLimit = 0.001 })
	c := rlDial(t, srvURL, "alice")
	c.write(`{"id":"j1","type":"join","data":{"callID":"c1","type":"video"}}`)
	if env, err := c.read(); err != nil || env.Type != TypeResult {
		t.Fatalf("first join: %+v %v", env, err)
	}
	c.write(`{"id":"l1","type":"leave","data":{"callID":"c1"}}`)
	env, err := c.read()
	if err != nil || env.Type != TypeError || env.Error.Code != CodeRateLimited || env.ID == nil || *env.ID != "l1" {
		t.Fatalf("over the limit: %+v %v", env, err)
	}
	// The refused leave did nothing: a second connection of another user
	// can still see alice in the call.
	d := rlDial(t, srvURL, "bob")
	d.write(`{"id":"j2","type":"join","data":{"callID":"c1"}}`)
	env, err = d.read()
	if err != nil || env.Type != TypeResult {
		t.Fatalf("bob join: %+v %v", env, err)
	}
	var st CallState
	if err := json.Unmarshal(env.Data, &st); err != nil || len(st.Members) != 2 {
		t.Fatalf("call state after a refused leave: %s", env.Data)
	}
	// Messages without id and malformed ones count and are refused too,
	// with an error without id.
	c.write(`{"type":"ping"}`)
	c.write(`{{{`)
	for i := 0; i < 2; i++ {
		env, err = c.readReply()
		if err != nil || env.Type != TypeError || env.Error.Code != CodeRateLimited || env.ID != nil {
			t.Fatalf("refused without id: %+v %v", env, err)
		}
	}
}

func TestRateLimitCloseAfterTooManyRefusals(t *testing.T) {
	// Exactly: one token, no refill. 200 refusals are tolerated; the
	// 201st closes with 4008 after its error.
	srvURL := rlServer(t, func(c *Config) { c.RateBurst = 1; c.RateLimit = 0.001 })
	c := rlDial(t, srvURL, "alice")
	for i := 0; i < 1+201+20; i++ {
		if err := c.write(fmt.Sprintf(`{"id":"m%d","type":"ping"}`, i)); err != nil {
			break // the server may already have closed
		}
	}
	pongs, limited := 0, 0
	for {
		env, err := c.read()
		if err != nil {
			if code := closeCode(err); code != CloseRateLimited {
				t.Fatalf("want close 4008, got %v", err)
			}
			break
		}
		switch {
		case env.Type == TypePong:
			pongs++
		case env.Type == TypeError && env.Error.Code == CodeRateLimited:
			if env.ID == nil || *env.ID != fmt.Sprintf("m%d", pongs+limited) {
				t.Fatalf("error %d carries id %v", limited, env.ID)
			}
			limited++
		default:
			t.Fatalf("unexpected %+v", env)
		}
	}
	if pongs != 1 || limited != 201 {
		t.Fatalf("pongs %d, rate_limited %d; want 1 and 201", pongs, limited)
	}
}

func TestRateLimitCloseWithDefaults(t *testing.T) {
	srvURL := rlServer(t)
	c := rlDial(t, srvURL, "alice")
	for i := 0; i < 500; i++ {
		if err := c.write(fmt.Sprintf(`{"id":"m%d","type":"ping"}`, i)); err != nil {
			break
		}
	}
	limited := 0
	for {
		env, err := c.read()
		if err != nil {
			if code := closeCode(err); code != CloseRateLimited {
				t.Fatalf("want close 4008, got %v after %d refusals", err, limited)
			}
			break
		}
		if env.Type == TypeError {
			if env.Error.Code != CodeRateLimited || env.ID == nil {
				t.Fatalf("unexpected %+v", env)
			}
			limited++
		}
	}
	// More than 200 refused within 10 s: the one over 200 closes.
	if limited != 201 {
		t.Fatalf("closed after %d refusals, want 201", limited)
	}
}
