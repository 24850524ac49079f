package signaling_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// limitSendBuffer caps the kernel send buffer of every connection the
// harness accepts from now on (accepted sockets inherit it from the
// listener, and a set size turns autotuning off). Without it a loopback
// socket buffers megabytes, and a client that never reads would take tens
// of thousands of events to be noticed.
func limitSendBuffer(t *testing.T, h *harness, size int) {
	t.Helper()
	tl, ok := h.hs.Listener.(*net.TCPListener)
	if !ok {
		t.Fatalf("listener is %T", h.hs.Listener)
	}
	rc, err := tl.SyscallConn()
	mustOK(t, err)
	var serr error
	mustOK(t, rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, size)
	}))
	mustOK(t, serr)
}

// readSync reads one message from a connection without a reader goroutine.
func readSync(ws *websocket.Conn) (map[string]any, error) {
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	_, data, err := ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// readUntilID reads (synchronously) until the reply with id.
func readUntilID(t *testing.T, ws *websocket.Conn, id string) map[string]any {
	t.Helper()
	for {
		m, err := readSync(ws)
		if err != nil {
			t.Fatalf("waiting for %s: %v", id, err)
		}
		if m["id"] == id {
			return m
		}
	}
}

// closeResult waits (without failing the test from a goroutine) for rc to
// end and returns its messages and close code.
func closeResult(rc *rawConn, d time.Duration) ([]map[string]any, int, error) {
	var msgs []map[string]any
	timeout := time.After(d)
	for {
		select {
		case b := <-rc.msgs:
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return msgs, 0, fmt.Errorf("bad JSON %q", b)
			}
			msgs = append(msgs, m)
		case <-rc.done:
			for {
				select {
				case b := <-rc.msgs:
					var m map[string]any
					_ = json.Unmarshal(b, &m)
					msgs = append(msgs, m)
				default:
					return msgs, rc.closeCode(), nil
				}
			}
		case <-timeout:
			return msgs, 0, errors.New("connection not closed in time")
		}
	}
}

// errCode returns the error code of a decoded message ("" if not an error).
func errCode(m map[string]any) string {
	if m["type"] != "error" {
		return ""
	}
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// hostileOutcome is what one hostile client reports.
type hostileOutcome struct {
	name string
	err  error
}

func TestHostileClientsBesideANormalCall(t *testing.T) {
	const (
		rate   = 300
		burst  = 100
		pacing = 8 * time.Millisecond // alice and bob: 125 requests/s, well under the limit
		minOps = 50                   // setDevice requests each, at least
	)
	reg := prometheus.NewRegistry()
	h := newHarness(t, func(c *signaling.Config) {
		c.Registerer = reg
		c.SendQueue = 128 // above the burst, so that replies alone never overflow it
		c.ResumeGrace = 100 * time.Millisecond
		c.RateLimit = rate
		c.RateBurst = burst
	})
	limitSendBuffer(t, h, 8192)
	baseline := runtime.NumGoroutine()

	// The normal call.
	alice, bob := h.dial("alice"), h.dial("bob")
	res := invite(t, alice, "video", "bob")
	waitEvent[signaling.IncomingCall](t, bob, signaling.TypeIncomingCall)
	_, err := bob.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	waitEvent[signaling.UserJoined](t, alice, signaling.TypeUserJoined)

	// (f) The slow consumer joins the same call, then never reads again.
	slow := h.raw(rawOpts{noReader: true, rcvBuf: 4096})
	mustOK(t, slow.sendErr([]byte(`{"id":"h","type":"hello","data":{"token":"`+h.token("slow", "Slow")+`","protocol":1,"deviceId":"d"}}`)))
	if m := readUntilID(t, slow.ws, "h"); m["type"] != "result" {
		t.Fatalf("slow hello: %v", m)
	}
	mustOK(t, slow.sendErr([]byte(`{"id":"j","type":"join","data":{"callID":"`+res.CallID+`"}}`)))
	if m := readUntilID(t, slow.ws, "j"); m["type"] != "result" {
		t.Fatalf("slow join: %v", m)
	}
	waitMatch(t, alice, signaling.TypeUserJoined, func(e *signaling.UserJoined) bool { return e.User.ID == "slow" })
	waitMatch(t, bob, signaling.TypeUserJoined, func(e *signaling.UserJoined) bool { return e.User.ID == "slow" })
	alice.Discard()
	bob.Discard()

	// The hostile clients are connected here, on the test goroutine, and
	// misbehave concurrently below.
	flooder := h.signedIn("flooder")
	bigSender := h.signedIn("big")
	garbage := h.raw()
	type forged struct {
		name string
		rc   *rawConn
		tok  string
	}
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claims("mallory")).SignedString([]byte(testSecret))
	mustOK(t, err)
	forgeries := []forged{
		{name: "wrong secret", tok: sign(t, claims("mallory"), "guessed-secret")},
		{name: "alg none", tok: unsignedWithHeader(t, `{"alg":"none","typ":"JWT"}`, claims("alice"))},
		{name: "HS512", tok: hs512},
		{name: "RS256 header", tok: hmacWithHeader(t, `{"alg":"RS256","typ":"JWT"}`, claims("bob"))},
		{name: "other app", tok: sign(t, jwt.MapClaims{"app": "other", "sub": "alice", "exp": time.Now().Add(time.Hour).Unix()}, testSecret)},
	}
	for i := range forgeries {
		forgeries[i].rc = h.raw()
	}
	noisy := h.signedIn("noisy")

	outcomes := make(chan hostileOutcome, 16)
	var hostile sync.WaitGroup
	run := func(name string, f func() error) {
		hostile.Add(1)
		go func() {
			defer hostile.Done()
			outcomes <- hostileOutcome{name, f()}
		}()
	}
	// (a) Flood: pings with up to 8 in flight, until the server closes
	// with 4008.
	run("flood", func() error {
		inflight, sent, limited := 0, 0, 0
		timeout := time.After(wait)
		for {
			for inflight < 8 {
				if err := flooder.sendErr([]byte(fmt.Sprintf(`{"id":"f%d","type":"ping"}`, sent))); err != nil {
					break
				}
				inflight++
				sent++
			}
			select {
			case b := <-flooder.msgs:
				inflight--
				var m map[string]any
				_ = json.Unmarshal(b, &m)
				if errCode(m) == signaling.CodeRateLimited {
					limited++
				}
			case <-flooder.done:
				for len(flooder.msgs) > 0 {
					var m map[string]any
					_ = json.Unmarshal(<-flooder.msgs, &m)
					if errCode(m) == signaling.CodeRateLimited {
						limited++
					}
				}
				if code := flooder.closeCode(); code != signaling.CloseRateLimited {
					return fmt.Errorf("closed with %d after %d messages", code, sent)
				}
				if limited != 201 {
					return fmt.Errorf("4008 after %d refusals, want 201", limited)
				}
				return nil
			case <-timeout:
				return fmt.Errorf("no 4008 after %d messages (%d refused)", sent, limited)
			}
		}
	})
	// (b) An oversize frame.
	run("oversize", func() error {
		big := []byte(`{"type":"ping","pad":"` + strings.Repeat("x", signaling.MaxMessageBytes) + `"}`)
		if err := bigSender.sendErr(big); err != nil {
			return err
		}
		msgs, code, err := closeResult(bigSender, wait)
		if err != nil {
			return err
		}
		if code != websocket.CloseMessageTooBig || len(msgs) != 0 {
			return fmt.Errorf("close %d, messages %v", code, msgs)
		}
		return nil
	})
	// (c) Garbage before hello.
	run("garbage before hello", func() error {
		junk := make([]byte, 512)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range junk {
			junk[i] = byte(rng.UintN(256))
		}
		if err := garbage.sendErr(junk); err != nil {
			return err
		}
		msgs, code, err := closeResult(garbage, wait)
		if err != nil {
			return err
		}
		if code != signaling.CloseUnauthorized || len(msgs) != 1 || errCode(msgs[0]) != signaling.CodeUnauthorized {
			return fmt.Errorf("close %d, messages %v", code, msgs)
		}
		return nil
	})
	// (d) Forged tokens.
	for _, f := range forgeries {
		run("forged token: "+f.name, func() error {
			msg := fmt.Sprintf(`{"id":"x","type":"hello","data":{"token":%q,"protocol":1,"deviceId":"d1"}}`, f.tok)
			if err := f.rc.sendErr([]byte(msg)); err != nil {
				return err
			}
			msgs, code, err := closeResult(f.rc, wait)
			if err != nil {
				return err
			}
			if code != signaling.CloseUnauthorized || len(msgs) != 1 || errCode(msgs[0]) != signaling.CodeUnauthorized || msgs[0]["id"] != "x" {
				return fmt.Errorf("close %d, messages %v", code, msgs)
			}
			return nil
		})
	}
	// (e) Random bytes after hello: each is bad_request, the connection
	// stays usable.
	run("random bytes after hello", func() error {
		rng := rand.New(rand.NewPCG(3, 4))
		const n = 40
		for i := 0; i < n; i++ {
			junk := make([]byte, 1+rng.IntN(300))
			for j := range junk {
				junk[j] = byte(rng.UintN(256))
			}
			if i%2 == 0 {
				junk[0] = '{' // looks like JSON, is not
			}
			if err := noisy.sendErr(junk); err != nil {
				return err
			}
		}
		if err := noisy.sendErr([]byte(`{"id":"end","type":"ping"}`)); err != nil {
			return err
		}
		timeout := time.After(wait)
		for bad := 0; ; {
			select {
			case b := <-noisy.msgs:
				var m map[string]any
				_ = json.Unmarshal(b, &m)
				if m["type"] == "pong" && m["id"] == "end" {
					if bad != n {
						return fmt.Errorf("%d bad_request for %d junk messages", bad, n)
					}
					return nil
				}
				if errCode(m) != signaling.CodeBadRequest {
					return fmt.Errorf("unexpected %v", m)
				}
				if _, has := m["id"]; has {
					return fmt.Errorf("bad_request with id: %v", m)
				}
				bad++
			case <-noisy.done:
				return fmt.Errorf("closed with %d", noisy.closeCode())
			case <-timeout:
				return errors.New("no pong")
			}
		}
	})

	// Meanwhile alice and bob talk: alice toggles her camera, bob his
	// microphone, both ping now and then. Every request must succeed, and
	// every deviceState must reach both, in order. They go on until the
	// slow consumer is gone (alice sees it leave) and each has done minOps.
	var stop atomic.Bool
	type sentValues struct{ values []bool }
	talk := func(c *client.Client, camera bool, out *sentValues) error {
		tick := time.NewTicker(pacing)
		defer tick.Stop()
		deadline := time.Now().Add(3 * wait)
		for i := 0; !stop.Load() || i < minOps; i++ {
			if time.Now().After(deadline) {
				return fmt.Errorf("still going after %d requests", i)
			}
			<-tick.C
			v := i%2 == 1
			req := signaling.SetDeviceRequest{CallID: res.CallID}
			if camera {
				req.Camera = &v
			} else {
				req.Microphone = &v
			}
			if err := c.SetDevice(ctx(t), req); err != nil {
				return fmt.Errorf("setDevice %d: %w", i, err)
			}
			out.values = append(out.values, v)
			if i%10 == 0 {
				if err := c.Ping(ctx(t)); err != nil {
					return fmt.Errorf("ping %d: %w", i, err)
				}
			}
		}
		return nil
	}
	var aliceSent, bobSent sentValues
	bobDone := make(chan error, 1)
	go func() { bobDone <- talk(bob, false, &bobSent) }()
	aliceDone := make(chan error, 1)
	go func() { aliceDone <- talk(alice, true, &aliceSent) }()
	// The slow consumer is dropped (and, after the grace period, leaves).
	left, err := alice.WaitFor(ctx3(t), signaling.TypeUserLeft, func(e client.Event) bool {
		return e.Data.(*signaling.UserLeft).User.ID == "slow"
	})
	stop.Store(true)
	if err != nil {
		t.Errorf("the slow consumer was never dropped: %v", err)
	} else if r := left.Data.(*signaling.UserLeft).Reason; r != "disconnected" {
		t.Errorf("slow consumer left with reason %q", r)
	}
	if err := <-aliceDone; err != nil {
		t.Errorf("alice: %v", err)
	}
	if err := <-bobDone; err != nil {
		t.Errorf("bob: %v", err)
	}
	hostile.Wait()
	close(outcomes)
	for o := range outcomes {
		if o.err != nil {
			t.Errorf("hostile %s: %v", o.name, o.err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	// Exactly one connection was dropped as a slow consumer: the one that
	// never read. Nobody else (the flooder included) was.
	if n := counterValue(t, reg, "ringsfu_slow_consumers_total"); n != 1 {
		t.Fatalf("slow consumers dropped: %v, want 1", n)
	}

	// Every deviceState arrived at both, complete and in order.
	checkStates := func(who string, c *client.Client) {
		for _, s := range []struct {
			user   string
			values []bool
			camera bool
		}{{"alice", aliceSent.values, true}, {"bob", bobSent.values, false}} {
			for i, v := range s.values {
				ds := waitMatch(t, c, signaling.TypeDeviceState, func(e *signaling.DeviceState) bool { return e.UserID == s.user })
				want := signaling.DeviceState{CallID: res.CallID, UserID: s.user, Camera: true, Microphone: true, AudioRoute: "speaker"}
				if s.camera {
					want.Camera = v
				} else {
					want.Microphone = v
				}
				if *ds != want {
					t.Fatalf("%s: deviceState %d of %s: %+v, want %+v", who, i, s.user, ds, want)
				}
			}
		}
		noEvent(t, c, signaling.TypeDeviceState)
	}
	checkStates("alice", alice)
	checkStates("bob", bob)
	t.Logf("alice sent %d setDevice, bob %d, before the slow consumer was gone", len(aliceSent.values), len(bobSent.values))
	if len(aliceSent.values) < minOps || len(bobSent.values) < minOps {
		t.Fatalf("too few requests: %d, %d", len(aliceSent.values), len(bobSent.values))
	}

	// Close everything; the server's goroutines return to the baseline.
	mustOK(t, alice.Leave(ctx(t), res.CallID))
	mustOK(t, bob.Leave(ctx(t), res.CallID))
	alice.Close()
	bob.Close()
	for _, rc := range []*rawConn{slow, flooder, bigSender, garbage, noisy} {
		rc.close()
	}
	for _, f := range forgeries {
		f.rc.close()
	}
	deadline := time.Now().Add(3 * wait)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline+2 && h.srv.Sessions() == 0 && h.srv.Manager().Calls() == 0 {
			break
		}
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("goroutines %d (baseline %d), sessions %d, calls %d:\n%s", n, baseline,
				h.srv.Sessions(), h.srv.Manager().Calls(), buf.String())
		}
		runtimeYield()
	}
}

// counterValue reads a counter from a registry.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	mustOK(t, err)
	for _, f := range fams {
		if f.GetName() == name {
			var sum float64
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// ctx3 is a context three times the usual wait.
func ctx3(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*wait)
	t.Cleanup(cancel)
	return c
}
