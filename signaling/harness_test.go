package signaling_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

const (
	testApp    = "testapp"
	testSecret = "test-secret"
	// wait bounds every poll in these tests; nothing here sleeps to
	// synchronise.
	wait = 5 * time.Second
)

// harness runs a whole server in-process on loopback.
type harness struct {
	t   *testing.T
	srv *signaling.Server
	hs  *httptest.Server
	url string
	// In cluster mode (cluster_harness_test.go): every node's server and
	// URL; dial and connect take the next URL in turn.
	srvs []*signaling.Server
	urls []string
	next atomic.Uint64
}

// nextURL returns the URL for a new connection: the one server's, or in
// cluster mode the next node's in turn.
func (h *harness) nextURL() string {
	if len(h.urls) == 0 {
		return h.url
	}
	return h.urls[(h.next.Add(1)-1)%uint64(len(h.urls))]
}

// newHarness starts a server; mods adjust its config.
func newHarness(t *testing.T, mods ...func(*signaling.Config)) *harness {
	t.Helper()
	cfg := signaling.Config{AppID: testApp, AppSecret: testSecret, Logger: zerolog.Nop()}
	if os.Getenv("DBGMEDIA") != "" {
		cfg.Logger = zerolog.New(os.Stderr).With().Str("who", "server").Logger().Level(zerolog.DebugLevel)
	}
	for _, m := range mods {
		m(&cfg)
	}
	if n := clusterNodes(t); n > 1 {
		return newClusterHarness(t, cfg, n)
	}
	srv, err := signaling.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	h := &harness{t: t, srv: srv, hs: hs, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/v1/signal"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hs.Close()
	})
	return h
}

// token mints a valid token for user.
func (h *harness) token(user, name string) string {
	h.t.Helper()
	tok, err := signaling.Mint(signaling.MintOptions{AppID: testApp, Secret: testSecret, UserID: user, Name: name, TTL: time.Hour})
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// dial signs user in from device "d1" with the name "Name-of-<user>".
func (h *harness) dial(user string) *client.Client {
	h.t.Helper()
	return h.dialDevice(user, "d1")
}

// dialDevice signs user in from a given device.
func (h *harness) dialDevice(user, device string) *client.Client {
	h.t.Helper()
	return h.dialWith(client.Config{Token: h.token(user, "Name-of-"+user), DeviceID: device})
}

// dialWith signs in with a custom config (URL is filled in).
func (h *harness) dialWith(cfg client.Config) *client.Client {
	h.t.Helper()
	cfg.URL = h.nextURL()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		h.t.Fatalf("dial %s: %v", cfg.DeviceID, err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// connect opens a connection without hello.
func (h *harness) connect() *client.Client {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := client.Connect(ctx, client.Config{URL: h.nextURL()})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// ctx returns a context bounded by the test wait.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return c
}

// waitEvent waits for the next event of typ on c and returns its body.
func waitEvent[T any](t *testing.T, c *client.Client, typ string) *T {
	t.Helper()
	v, err := client.WaitType[T](ctx(t), c, typ)
	if err != nil {
		t.Fatalf("waiting for %s: %v (queued: %v)", typ, err, eventTypes(c))
	}
	return v
}

// waitMatch waits for the next event of typ whose body satisfies ok.
func waitMatch[T any](t *testing.T, c *client.Client, typ string, ok func(*T) bool) *T {
	t.Helper()
	ev, err := c.WaitFor(ctx(t), typ, func(e client.Event) bool {
		v, is := e.Data.(*T)
		return is && ok(v)
	})
	if err != nil {
		t.Fatalf("waiting for matching %s: %v (queued: %v)", typ, err, eventTypes(c))
	}
	return ev.Data.(*T)
}

// eventTypes lists queued event types, for failure messages.
func eventTypes(c *client.Client) []string {
	var out []string
	for _, e := range c.Pending() {
		out = append(out, e.Type+" "+string(e.Raw))
	}
	return out
}

// noEvent asserts that no event of typ is queued on c after a round trip
// to the server (a ping), which orders everything the server sent before.
func noEvent(t *testing.T, c *client.Client, typ string) {
	t.Helper()
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if c.Has(typ) {
		t.Fatalf("unexpected %s event: %v", typ, eventTypes(c))
	}
}

// wantCode asserts an error reply with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if client.Code(err) != code {
		t.Fatalf("want error %q, got %v", code, err)
	}
}

// mustOK fails the test on err.
func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// invite sends a simple invite from c to users and returns the result.
func invite(t *testing.T, c *client.Client, typ string, users ...string) signaling.InviteResult {
	t.Helper()
	req := signaling.InviteRequest{Type: typ}
	for _, u := range users {
		req.Invitees = append(req.Invitees, signaling.User{ID: u})
	}
	res, err := c.Invite(ctx(t), req)
	if err != nil {
		t.Fatalf("invite %v: %v", users, err)
	}
	return res
}

// rawJSON decodes raw into a generic map.
func rawJSON(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// waitClosed waits for c's connection to end and returns the close code.
func waitClosed(t *testing.T, c *client.Client) int {
	t.Helper()
	select {
	case <-c.Done():
		return c.CloseCode()
	case <-time.After(wait):
		t.Fatal("connection did not close")
		return 0
	}
}
