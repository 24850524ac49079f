package loadgen

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"

	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
)

// Receive-side accounting without decrypting every packet.
//
// SRTP encrypts only the payload: the RTP header (sequence number, SSRC)
// stays in clear (RFC 3711 §3.1). Every socket a member's PeerConnections
// open is wrapped (tapNet, through webrtc.SettingEngine.SetNet); the
// wrapper reads each datagram, counts an RTP packet by SSRC from its clear
// header, and hands Pion only a sample of them: the first sampleLead of
// each SSRC (so that Pion learns the stream and fires OnTrack) and then one
// in sampleEvery. Pion decrypts and authenticates the sample, and the
// track reader measures latency and checks the payload on it. Everything
// that is not RTP (STUN, DTLS, SRTCP) passes untouched.
//
// Dropping packets before Pion is safe for SRTP: the replay window only
// refuses packets seen before, and the rollover counter is estimated from
// sequence numbers that are at most sampleEvery apart. The member's API
// has no NACK generator or receiver-report interceptor (api.go), which
// would take the skipped packets for losses.

const (
	// sampleLead is how many packets of each SSRC are always passed on.
	sampleLead = 8
	// sampleEvery passes one in this many packets after the lead.
	sampleEvery = 16
	// srtpTagLen is the AES-GCM authentication tag (RFC 7714 §6), the
	// profile the server negotiates first; subtracted from byte counts.
	srtpTagLen = 16
)

// rtpCounter counts one received SSRC. The socket's reader goroutine
// updates it under mu; report snapshots read it.
type rtpCounter struct {
	mu      sync.Mutex
	packets uint64
	bytes   uint64
	highest uint32 // extended highest sequence number
	started bool
}

// add counts one packet and reports whether it is to be passed on.
func (c *rtpCounter) add(seq uint16, payload int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.packets++
	c.bytes += uint64(max(0, payload))
	c.highest, c.started = extendSeq(c.highest, c.started, seq)
	return c.packets <= sampleLead || c.packets%sampleEvery == 0
}

// snap returns the counters.
func (c *rtpCounter) snap() snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return snapshot{packets: c.packets, bytes: c.bytes, highest: c.highest, started: c.started}
}

// extendSeq unwraps seq relative to the highest extended sequence number
// seen (RFC 3550 §A.1 style) and returns the new highest.
func extendSeq(highest uint32, started bool, seq uint16) (uint32, bool) {
	if !started {
		return uint32(seq), true
	}
	cand := highest&^0xffff | uint32(seq)
	if int32(cand-highest) < -0x8000 {
		cand += 0x10000
	} else if int32(cand-highest) > 0x8000 && cand >= 0x10000 {
		cand -= 0x10000
	}
	if cand > highest {
		highest = cand
	}
	return highest, true
}

// rtpCounters is one member's counters by SSRC, shared by all its sockets.
type rtpCounters struct {
	mu    sync.Mutex
	bySSR map[uint32]*rtpCounter
}

func newRTPCounters() *rtpCounters { return &rtpCounters{bySSR: map[uint32]*rtpCounter{}} }

// get returns the counter of ssrc, creating it.
func (r *rtpCounters) get(ssrc uint32) *rtpCounter {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.bySSR[ssrc]
	if c == nil {
		c = &rtpCounter{}
		r.bySSR[ssrc] = c
	}
	return c
}

// tapNet is the member's transport.Net: the standard network, with every
// UDP socket wrapped in a tapConn.
type tapNet struct {
	transport.Net
	counters *rtpCounters
}

// newTapNet wraps the standard network.
func newTapNet(counters *rtpCounters) (*tapNet, error) {
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &tapNet{Net: std, counters: counters}, nil
}

// ListenUDP opens a socket whose reads are tapped.
func (n *tapNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	udp, ok := c.(*net.UDPConn)
	if !ok {
		return c, nil
	}
	return &tapConn{UDPConn: udp, counters: n.counters}, nil
}

// tapConn is a UDP socket that counts RTP and passes on a sample.
type tapConn struct {
	*net.UDPConn
	counters *rtpCounters
	last     *rtpCounter // the reader goroutine's cache of the last SSRC
	lastSSRC uint32
}

// WriteToAddrPort writes one datagram (with ReadFromAddrPort, the ICE
// agent's allocation-free path).
func (c *tapConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.UDPConn.WriteToUDPAddrPort(b, addr)
}

// ReadFromAddrPort reads until a datagram is to be passed on (the ICE
// agent's allocation-free read path).
func (c *tapConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		n, addr, err := c.UDPConn.ReadFromUDPAddrPort(b)
		if err != nil || c.pass(b[:n]) {
			return n, addr, err
		}
	}
}

// ReadFrom reads until a datagram is to be passed on.
func (c *tapConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || c.pass(b[:n]) {
			return n, addr, err
		}
	}
}

// pass counts an RTP datagram and reports whether Pion gets it.
func (c *tapConn) pass(d []byte) bool {
	hl, ok := rtpHeaderLen(d)
	if !ok {
		return true
	}
	ssrc := binary.BigEndian.Uint32(d[8:12])
	if c.last == nil || c.lastSSRC != ssrc {
		c.last, c.lastSSRC = c.counters.get(ssrc), ssrc
	}
	return c.last.add(binary.BigEndian.Uint16(d[2:4]), len(d)-hl-srtpTagLen)
}

// rtpHeaderLen returns the length of d's RTP header if d is an RTP (not
// RTCP, RFC 5761 §4) packet.
func rtpHeaderLen(d []byte) (int, bool) {
	if len(d) < 12 || d[0]>>6 != 2 {
		return 0, false
	}
	if pt := d[1] & 0x7f; pt >= 64 && pt <= 95 {
		return 0, false // RTCP packet types 192-223
	}
	hl := 12 + 4*int(d[0]&0x0f)
	if d[0]&0x10 != 0 {
		if len(d) < hl+4 {
			return 0, false
		}
		hl += 4 + 4*int(binary.BigEndian.Uint16(d[hl+2:hl+4]))
	}
	if hl > len(d) {
		return 0, false
	}
	return hl, true
}
