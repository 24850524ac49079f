package turnserver

import (
	"net"
	"sync"
)

// Peers describes the only addresses relayed datagrams may go to: the SFU's
// media ports on the relay IP.
type Peers struct {
	// UDPPort is the SFU's shared media port (--udp-port); 0 when unused.
	UDPPort int
	// UDPPortMin and UDPPortMax bound the SFU's ephemeral media ports
	// (--udp-port-range); both 0 when unused.
	UDPPortMin, UDPPortMax int
	// AnyPort allows every port from 1024 up except this server's own
	// listener and relay ports. It is for an SFU on OS-chosen ephemeral
	// ports (neither --udp-port nor --udp-port-range), where the media
	// ports are not known in advance; operators should set one of those
	// instead.
	AnyPort bool
}

// allowsPort reports whether port is one of the SFU's media ports.
func (p Peers) allowsPort(port int) bool {
	switch {
	case p.UDPPort > 0 && port == p.UDPPort:
		return true
	case p.UDPPortMin > 0 && port >= p.UDPPortMin && port <= p.UDPPortMax:
		return true
	case p.AnyPort && port >= 1024:
		return true
	}
	return false
}

// portSet is the set of this server's own ports (listeners and live relay
// sockets), which a relay must never send to: no relay-to-relay loops.
type portSet struct {
	mu    sync.Mutex
	ports map[int]int // port → references; guarded by mu
}

func newPortSet() *portSet { return &portSet{ports: map[int]int{}} }

func (s *portSet) add(port int) {
	s.mu.Lock()
	s.ports[port]++
	s.mu.Unlock()
}

func (s *portSet) remove(port int) {
	s.mu.Lock()
	if s.ports[port]--; s.ports[port] <= 0 {
		delete(s.ports, port)
	}
	s.mu.Unlock()
}

func (s *portSet) has(port int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ports[port] > 0
}

// policy is the peer rule of one server.
type policy struct {
	ip      net.IP
	mediaIP net.IP // nil: the SFU is reached on ip itself
	peers   Peers
	own     *portSet
}

// toMedia returns where a datagram for the allowed peer addr is sent.
func (p *policy) toMedia(addr net.Addr) net.Addr {
	if p.mediaIP == nil {
		return addr
	}
	ua := addr.(*net.UDPAddr)
	return &net.UDPAddr{IP: p.mediaIP, Port: ua.Port}
}

// fromMedia returns the peer address a datagram from addr is reported as.
func (p *policy) fromMedia(addr net.Addr) net.Addr {
	if ua, ok := addr.(*net.UDPAddr); ok && p.mediaIP != nil && ua.IP.Equal(p.mediaIP) {
		return &net.UDPAddr{IP: p.ip, Port: ua.Port}
	}
	return addr
}

// allowIP is the permission rule: only the relay IP itself.
func (p *policy) allowIP(ip net.IP) bool { return ip.Equal(p.ip) }

// allowAddr is the send rule for one relayed datagram.
func (p *policy) allowAddr(addr net.Addr) bool {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || !p.allowIP(ua.IP) {
		return false
	}
	return p.peers.allowsPort(ua.Port) && !p.own.has(ua.Port)
}
