package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ringsfu/ringsfu/signaling"
)

// Config describes a connection.
type Config struct {
	// URL is the signaling endpoint, e.g. ws://127.0.0.1:8080/v1/signal.
	URL string
	// Token is the JWT for hello.
	Token string
	// DeviceID names this device (default "go-client").
	DeviceID string
	// Resume is a previous session id to reattach to.
	Resume string
	// Header is sent with the WebSocket handshake (e.g. Origin).
	Header http.Header
	// Dialer overrides the default WebSocket dialer.
	Dialer *websocket.Dialer
}

// Error is an `error` reply from the server.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is match another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Code returns the wire error code of err, or "" if it is not an *Error.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrClosed is returned for requests on a closed client.
var ErrClosed = errors.New("client: connection closed")

// Event is one server event. Data holds a pointer to the typed body from
// signaling.EventKinds (nil for an unknown type); Raw is the JSON body.
type Event struct {
	Type string
	Data any
	Raw  json.RawMessage
	// At is when the client received it.
	At time.Time
}

// Client is one signed-in connection.
type Client struct {
	ws    *websocket.Conn
	kinds map[string]func() any
	hello signaling.HelloResult

	wmu    sync.Mutex // serializes writes
	nextID atomic.Uint64

	mu        sync.Mutex
	pending   map[string]chan signaling.Envelope // guarded by mu
	events    []Event                            // guarded by mu
	wake      chan struct{}                      // guarded by mu; closed and replaced on every new event
	closed    bool                               // guarded by mu
	closeCode int                                // guarded by mu
	errors    []signaling.Envelope               // guarded by mu: error replies without id
	hooks     map[string][]*hook                 // guarded by mu: see media_hooks.go
	onReply   map[string]func()                  // guarded by mu: see request

	done chan struct{}

	// mediaSessions holds the live media Session of each call (StartMedia
	// allows one per call).
	mediaSessions sync.Map // callID → *Session
}

// Dial connects and signs in. It returns the signed-in client, or the
// server's error (an *Error) with the connection closed.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	c, err := Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.DeviceID == "" {
		cfg.DeviceID = "go-client"
	}
	hello := map[string]any{"token": cfg.Token, "protocol": signaling.ProtocolVersion, "deviceId": cfg.DeviceID}
	if cfg.Resume != "" {
		hello["resume"] = cfg.Resume
	}
	if err := c.Request(ctx, signaling.TypeHello, hello, &c.hello); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Connect opens the WebSocket without signing in (for tests of the hello
// gate; use Dial otherwise).
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if cfg.Dialer != nil {
		cp := *cfg.Dialer
		d = &cp
	}
	// gorilla watches ctx only while dialing TCP; close the connection if
	// ctx ends during the WebSocket handshake, so cancellation is prompt.
	var rawMu sync.Mutex
	var raw net.Conn
	dialNet := d.NetDialContext
	if dialNet == nil {
		var nd net.Dialer
		dialNet = nd.DialContext
	}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialNet(ctx, network, addr)
		rawMu.Lock()
		raw = c
		rawMu.Unlock()
		return c, err
	}
	stop := context.AfterFunc(ctx, func() {
		rawMu.Lock()
		defer rawMu.Unlock()
		if raw != nil {
			raw.Close()
		}
	})
	ws, resp, err := d.DialContext(ctx, cfg.URL, cfg.Header)
	stop()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("client: dial %s: %w", cfg.URL, err)
	}
	c := &Client{
		ws:      ws,
		kinds:   signaling.EventKinds(),
		pending: make(map[string]chan signaling.Envelope),
		wake:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.readLoop()
	return c, nil
}

// Hello returns the hello result.
func (c *Client) Hello() signaling.HelloResult { return c.hello }

// SessionID returns the session id from the hello result.
func (c *Client) SessionID() string { return c.hello.SessionID }

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// CloseCode returns the close code the server sent (0 if none yet).
func (c *Client) CloseCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode
}

// Close closes the connection. It is idempotent.
func (c *Client) Close() error {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	err := c.ws.Close()
	<-c.done
	return err
}

// Drop closes the TCP connection abruptly, as a network failure would.
func (c *Client) Drop() {
	_ = c.ws.NetConn().Close()
	<-c.done
}

// readLoop reads until the connection ends, routing replies to waiting
// requests and queueing events.
func (c *Client) readLoop() {
	defer close(c.done)
	defer func() {
		c.mu.Lock()
		c.closed = true
		for id, ch := range c.pending {
			close(ch)
			delete(c.pending, id)
		}
		close(c.wake)
		c.wake = make(chan struct{})
		c.mu.Unlock()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.mu.Lock()
				c.closeCode = ce.Code
				c.mu.Unlock()
			}
			return
		}
		var env signaling.Envelope
		if json.Unmarshal(data, &env) != nil {
			continue
		}
		c.route(env)
	}
}

// route delivers one message.
func (c *Client) route(env signaling.Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if env.ID != nil {
		if ch, ok := c.pending[*env.ID]; ok {
			delete(c.pending, *env.ID)
			if f := c.onReply[*env.ID]; f != nil {
				delete(c.onReply, *env.ID)
				f()
			}
			ch <- env
			return
		}
	}
	if env.Type == signaling.TypeResult || env.Type == signaling.TypeError || env.Type == signaling.TypePong {
		if env.Type == signaling.TypeError {
			c.errors = append(c.errors, env)
			c.signalLocked()
		}
		return
	}
	ev := Event{Type: env.Type, Raw: env.Data, At: time.Now()}
	if mk, ok := c.kinds[env.Type]; ok {
		v := mk()
		if json.Unmarshal(env.Data, v) == nil {
			ev.Data = v
		}
	}
	if c.hookLocked(ev) {
		return
	}
	c.events = append(c.events, ev)
	c.signalLocked()
}

// signalLocked wakes every waiter.
func (c *Client) signalLocked() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// writeJSON sends one message.
func (c *Client) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.ws.WriteJSON(v); err != nil {
		return fmt.Errorf("client: write: %w", err)
	}
	return nil
}

// SendRaw writes raw bytes as one text message (for tests of bad input).
func (c *Client) SendRaw(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		return fmt.Errorf("client: write: %w", err)
	}
	return nil
}

// Send sends a request without id: no reply on success.
func (c *Client) Send(typ string, data any) error {
	return c.writeJSON(map[string]any{"type": typ, "data": data})
}

// Request sends a request with a fresh id and waits for its reply. A result
// is decoded into out (if not nil); an error reply is returned as *Error.
func (c *Client) Request(ctx context.Context, typ string, data any, out any) error {
	return c.request(ctx, typ, data, out, nil)
}

// request is Request; onReply, if not nil, is called when the reply is
// routed, with the client's lock held and before any later event is
// queued or hooked (so a hook can tell the events sent before the reply
// from those sent after it).
func (c *Client) request(ctx context.Context, typ string, data any, out any, onReply func()) error {
	id := "g" + strconv.FormatUint(c.nextID.Add(1), 10)
	ch := make(chan signaling.Envelope, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.pending[id] = ch
	if onReply != nil {
		if c.onReply == nil {
			c.onReply = make(map[string]func())
		}
		c.onReply[id] = onReply
	}
	c.mu.Unlock()
	msg := map[string]any{"id": id, "type": typ}
	if data != nil {
		msg["data"] = data
	}
	if err := c.writeJSON(msg); err != nil {
		c.forget(id)
		return err
	}
	select {
	case env, ok := <-ch:
		if !ok {
			return ErrClosed
		}
		if env.Type == signaling.TypeError {
			if env.Error == nil {
				return &Error{Code: "internal", Message: "error without body"}
			}
			return &Error{Code: env.Error.Code, Message: env.Error.Message}
		}
		if out != nil && len(env.Data) > 0 {
			if err := json.Unmarshal(env.Data, out); err != nil {
				return fmt.Errorf("client: decode %s result: %w", typ, err)
			}
		}
		return nil
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("client: %s: %w", typ, ctx.Err())
	}
}

// forget drops a pending request.
func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	delete(c.onReply, id)
	c.mu.Unlock()
}
