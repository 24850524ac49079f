package signaling

import (
	"net"
	"net/http"
	"strconv"
)

// admission bounds connections that have not signed in yet: in total and
// per source address. A connection holds a place from before its upgrade
// until its hello succeeds or it closes. It is guarded by Server.mu.
type admission struct {
	total  int
	byAddr map[string]int
}

// Refusal statuses of a WebSocket upgrade (PROTOCOL.md §9).
const (
	// statusPendingFull refuses an upgrade while MaxPendingConns
	// connections are waiting for their hello, or while draining.
	statusPendingFull = http.StatusServiceUnavailable
	// statusPendingPerAddr refuses an upgrade while its source address
	// has MaxPendingPerAddr connections waiting for their hello.
	statusPendingPerAddr = http.StatusTooManyRequests
)

// sourceAddr is the address a connection counts against: the peer's IP as
// the TCP connection shows it (a proxy in front counts as one address).
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// admit takes a pre-hello place for addr, or returns the HTTP status that
// refuses the upgrade.
func (s *Server) admit(addr string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.draining.Load() || s.refusing.Load():
		return http.StatusServiceUnavailable, false
	case s.pending.total >= s.cfg.MaxPendingConns:
		return statusPendingFull, false
	case s.pending.byAddr[addr] >= s.cfg.MaxPendingPerAddr:
		return statusPendingPerAddr, false
	}
	s.pending.total++
	s.pending.byAddr[addr]++
	return 0, true
}

// release gives back addr's pre-hello place.
func (s *Server) release(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending.total--
	if n := s.pending.byAddr[addr] - 1; n > 0 {
		s.pending.byAddr[addr] = n
	} else {
		delete(s.pending.byAddr, addr)
	}
}

// pendingCount returns the number of connections waiting for their hello.
func (s *Server) pendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending.total
}

// refuse answers an upgrade that was not admitted.
func refuse(w http.ResponseWriter, status int) {
	w.Header().Set("Retry-After", strconv.Itoa(1))
	msg := "server busy: too many connections waiting for hello"
	switch status {
	case statusPendingPerAddr:
		msg = "too many connections waiting for hello from your address"
	}
	http.Error(w, msg, status)
}

// releasePending gives back the connection's pre-hello place once: on a
// successful hello or when the connection ends.
func (c *conn) releasePending() {
	if c.pendingAddr != "" && c.pending.CompareAndSwap(true, false) {
		c.srv.release(c.pendingAddr)
	}
}
