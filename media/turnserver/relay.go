package turnserver

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pion/turn/v5"
	"golang.org/x/time/rate"
)

// relayGenerator allocates relay sockets on the relay IP through pion's
// static generator and wraps each in a relayConn that applies the peer
// policy and the bandwidth cap and counts bytes.
type relayGenerator struct {
	inner  *turn.RelayAddressGeneratorStatic
	policy *policy
	stats  *Stats
	bps    int // bytes per second per allocation; <= 0 unlimited
}

var _ turn.RelayAddressGenerator = (*relayGenerator)(nil)

func (g *relayGenerator) Validate() error { return g.inner.Validate() }

// AllocatePacketConn implements turn.RelayAddressGenerator.
func (g *relayGenerator) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	conn, addr, err := g.inner.AllocatePacketConn(c)
	if err != nil {
		return nil, nil, fmt.Errorf("turnserver: relay socket: %w", err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	g.policy.own.add(port)
	rc := &relayConn{PacketConn: conn, g: g, port: port}
	if g.bps > 0 {
		rc.limit = rate.NewLimiter(rate.Limit(g.bps), g.bps)
	}
	return rc, addr, nil
}

// AllocateListener implements turn.RelayAddressGenerator: TCP relays are
// not offered.
func (g *relayGenerator) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, ErrTCPRelay
}

// AllocateConn implements turn.RelayAddressGenerator: TCP relays are not
// offered.
func (g *relayGenerator) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, ErrTCPRelay
}

// relayConn is one allocation's relay socket. pion/turn calls ReadFrom from
// the allocation's read loop and WriteTo from the listener's loop.
type relayConn struct {
	net.PacketConn
	g         *relayGenerator
	port      int
	limit     *rate.Limiter // nil: unlimited
	closeOnce sync.Once
}

// allow spends n bytes of the allocation's bandwidth.
func (c *relayConn) allow(n int) bool {
	if c.limit == nil || c.limit.AllowN(time.Now(), n) {
		return true
	}
	c.g.stats.BandwidthDrops.Add(1)
	return false
}

// WriteTo sends a client's datagram to a peer, if the policy allows it.
func (c *relayConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.g.policy.allowAddr(addr) {
		c.g.stats.PeerRefusals.Add(1)
		return 0, fmt.Errorf("%w: %s", ErrPeerRefused, addr)
	}
	if !c.allow(len(p)) {
		return len(p), nil // dropped, as a congested link would
	}
	n, err := c.PacketConn.WriteTo(p, c.g.policy.toMedia(addr))
	c.g.stats.BytesToPeers.Add(uint64(n))
	return n, err
}

// ReadFrom returns the next datagram from an allowed peer within the
// bandwidth cap; others are dropped.
func (c *relayConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		addr = c.g.policy.fromMedia(addr)
		if !c.g.policy.allowAddr(addr) {
			c.g.stats.PeerRefusals.Add(1)
			continue
		}
		if !c.allow(n) {
			continue
		}
		c.g.stats.BytesFromPeers.Add(uint64(n))
		return n, addr, nil
	}
}

// Close releases the relay port.
func (c *relayConn) Close() error {
	c.closeOnce.Do(func() { c.g.policy.own.remove(c.port) })
	return c.PacketConn.Close()
}
