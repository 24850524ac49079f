package media

import (
	"fmt"
	"net"

	"github.com/pion/interceptor"
	"github.com/rs/zerolog"
)

// Config configures an Engine. The zero value is valid: no IP restriction,
// ephemeral UDP ports, and a logger that discards everything.
type Config struct {
	// RTCIP is the only IPv4 address the server may put in its ICE
	// candidates (the operator's --rtc-ip). It is a hard rule:
	//
	//   - Empty (the default): no restriction; every non-loopback IPv4
	//     interface address is gathered, as Pion does by default.
	//   - A loopback address (tests, dev mode): candidates are gathered on
	//     loopback interfaces only and only for this address, loopback
	//     candidates are enabled (without that nothing connects), and remote
	//     candidates that are not loopback are dropped, which also covers
	//     peer-reflexive ones.
	//   - An address of a local interface: only that address is gathered.
	//   - Any other address (a public IP in front of a 1:1 NAT, e.g. a cloud
	//     VM's elastic IP): every host candidate is rewritten to carry this
	//     address, so no private address leaks into the SDP.
	RTCIP string

	// UDPPort, when greater than zero, makes every PeerConnection share one
	// UDP socket on RTCIP:UDPPort (on all interfaces when RTCIP is empty or
	// not local) through Pion's ICE UDP mux. Default 0: one ephemeral socket
	// per PeerConnection.
	UDPPort int

	// UDPPortMin and UDPPortMax bound the ephemeral ports used when UDPPort
	// is 0. Both zero (the default) means any port. They may not be combined
	// with UDPPort.
	UDPPortMin, UDPPortMax uint16

	// TCPPort, when greater than zero, adds passive ICE-TCP host
	// candidates on RTCIP:TCPPort (every interface when RTCIP is empty or
	// not local), one listening socket for every PeerConnection
	// (icetcp.go). Default 0: UDP only.
	TCPPort int

	// Logger receives the engine's own logs and Pion's (through the bridge
	// in logger.go). The zero value discards everything.
	Logger zerolog.Logger

	// ExtraInterceptors are registered before the engine's own interceptors,
	// so on the receive path they see each packet before the NACK generator
	// and the report receiver do. Default none. Tests use it to simulate
	// packet loss; production code normally leaves it empty.
	ExtraInterceptors []interceptor.Factory
}

// rtcIPKind classifies Config.RTCIP.
type rtcIPKind int

const (
	rtcIPAny rtcIPKind = iota
	rtcIPLoopback
	rtcIPLocal
	rtcIPNAT
)

// validate checks the configuration and classifies RTCIP. localAddrs lists
// the host's interface addresses; it is a parameter so tests can fake it.
func (c Config) validate(localAddrs []net.IP) (net.IP, rtcIPKind, error) {
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return nil, 0, fmt.Errorf("%w: udp port %d", ErrInvalidPorts, c.UDPPort)
	}
	hasRange := c.UDPPortMin != 0 || c.UDPPortMax != 0
	if c.UDPPort > 0 && hasRange {
		return nil, 0, fmt.Errorf("%w: udp port and port range are exclusive", ErrInvalidPorts)
	}
	if hasRange && (c.UDPPortMin == 0 || c.UDPPortMax == 0 || c.UDPPortMin > c.UDPPortMax) {
		return nil, 0, fmt.Errorf("%w: range %d-%d", ErrInvalidPorts, c.UDPPortMin, c.UDPPortMax)
	}
	if c.RTCIP == "" {
		return nil, rtcIPAny, nil
	}
	ip := net.ParseIP(c.RTCIP)
	if ip == nil || ip.To4() == nil {
		return nil, 0, fmt.Errorf("%w: %q", ErrInvalidRTCIP, c.RTCIP)
	}
	ip = ip.To4()
	switch {
	case ip.IsLoopback():
		return ip, rtcIPLoopback, nil
	case containsIP(localAddrs, ip):
		return ip, rtcIPLocal, nil
	default:
		return ip, rtcIPNAT, nil
	}
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, x := range ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}

// interfaceAddrs returns the IP addresses of the host's interfaces.
func interfaceAddrs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}
