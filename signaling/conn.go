package signaling

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
)

// writeWait bounds every single write to the socket.
const writeWait = 10 * time.Second

// outItem is one entry of a connection's send queue: a text message, or a
// close frame after which the connection ends.
type outItem struct {
	data      []byte
	closeCode int
	closeText string
}

// conn is one WebSocket connection. Exactly two goroutines own it: readPump
// (reads, authenticates, dispatches requests) and writePump (the only
// writer of data frames). Everything else talks to it through enqueue, which
// never blocks: a full queue marks a slow consumer, which is dropped.
type conn struct {
	srv  *Server
	ws   *websocket.Conn
	log  zerolog.Logger
	send *sendQueue
	quit chan struct{}

	closeOnce sync.Once
	closing   atomic.Bool // a close frame is queued; later messages are dropped
	authed    atomic.Bool

	pendingAddr string      // source address counted while before hello
	pending     atomic.Bool // still holds a pre-hello place

	// Owned by readPump.
	sess     *session
	bucket   *tokenBucket
	refusals refusalWindow
}

// newConn wraps an upgraded WebSocket.
func newConn(srv *Server, ws *websocket.Conn) *conn {
	return &conn{
		srv:      srv,
		ws:       ws,
		log:      srv.log,
		send:     newSendQueue(srv.cfg.SendQueue),
		quit:     make(chan struct{}),
		refusals: refusalWindow{window: srv.cfg.RefusalWindow, limit: srv.cfg.RefusalLimit},
	}
}

// enqueue queues a text message without blocking. A full queue closes the
// connection as a slow consumer. It reports whether the message was queued.
func (c *conn) enqueue(msg []byte) bool {
	if c.closing.Load() {
		return false
	}
	select {
	case <-c.quit:
		return false
	default:
	}
	if c.send.push(outItem{data: msg}) {
		return true
	}
	c.log.Warn().Msg("slow consumer: send queue full, dropping connection")
	c.srv.metrics.slowConsumers.Inc()
	c.shutdown()
	return false
}

// closeWith queues a close frame with code after what is already queued;
// nothing queued later is sent.
func (c *conn) closeWith(code int, text string) {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	c.send.push(outItem{closeCode: code, closeText: text})
}

// shutdown closes the socket at once; both pumps then exit. Idempotent.
func (c *conn) shutdown() {
	c.closeOnce.Do(func() {
		close(c.quit)
		_ = c.ws.Close()
	})
}

// writePump is the connection's only writer of messages; it also sends
// keep-alive pings. It exits when the connection shuts down.
func (c *conn) writePump() {
	defer c.srv.wg.Done()
	ping := time.NewTicker(c.srv.cfg.PingInterval)
	defer ping.Stop()
	var batch []outItem
	var fw frameWriter
	nc := c.ws.NetConn()
	for {
		select {
		case <-c.send.wake:
			batch = c.send.take(batch)
			fw.reset(len(batch))
			closing := -1
			for i, it := range batch {
				if it.closeCode != 0 {
					closing = i
					break
				}
				fw.appendText(it.data)
			}
			_ = nc.SetWriteDeadline(time.Now().Add(writeWait))
			if err := fw.flush(nc); err != nil {
				c.shutdown()
				return
			}
			if closing >= 0 {
				it := batch[closing]
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(it.closeCode, it.closeText),
					time.Now().Add(writeWait))
				c.lingerThenClose()
				return
			}
			clear(batch)
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.shutdown()
				return
			}
		case <-c.quit:
			return
		}
	}
}

// lingerThenClose gives the peer a moment to answer our close frame, so it
// reads the code before the TCP connection goes, then closes.
func (c *conn) lingerThenClose() {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-c.quit:
	case <-t.C:
	}
	c.shutdown()
}

// drain discards incoming bytes for up to a second.
func (c *conn) drain() {
	nc := c.ws.NetConn()
	_ = nc.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.Copy(io.Discard, nc)
}

// readPump reads messages until the connection ends, then detaches the
// session (starting its resume grace period).
func (c *conn) readPump() {
	defer c.srv.wg.Done()
	defer c.srv.untrack(c)
	defer c.releasePending()
	defer func() {
		c.shutdown()
		if c.sess != nil {
			c.srv.hub.detach(c.sess, c)
		}
	}()
	c.ws.SetReadLimit(MaxMessageBytes)
	_ = c.ws.SetReadDeadline(time.Now().Add(c.srv.cfg.PeerTimeout))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(c.srv.cfg.PeerTimeout))
	})
	helloTimer := time.AfterFunc(c.srv.cfg.HelloTimeout, func() {
		if !c.authed.Load() {
			c.sendError(nil, CodeUnauthorized, "no hello within the time allowed")
			c.closeWith(CloseUnauthorized, "unauthorized")
		}
	})
	defer helloTimer.Stop()
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has already written close 1009; drain what the
				// peer is still sending so that closing the socket does not
				// reset the connection before the peer reads the code.
				c.srv.metrics.errors.WithLabelValues(CodeTooLarge).Inc()
				c.closing.Store(true)
				c.drain()
			}
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(c.srv.cfg.PeerTimeout))
		if c.closing.Load() {
			continue
		}
		if mt != websocket.TextMessage {
			data = nil // binary frames are malformed messages
		}
		if !c.authed.Load() {
			c.handleHello(data)
			continue
		}
		c.handleMessage(data)
	}
}
