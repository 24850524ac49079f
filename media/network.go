package media

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// ConfigureNetwork applies to se the ICE and DTLS settings every ringsfu
// PeerConnection shares (UDP4 only, no mDNS, immediate acceptance of
// peer-reflexive candidates, AES-GCM first) and the Config.RTCIP rule for
// rtcIP. New uses it; test clients use it with "127.0.0.1" to stay on
// loopback as README.md § Testing requires. Ports are not touched.
func ConfigureNetwork(se *webrtc.SettingEngine, rtcIP string) error {
	ip, kind, err := Config{RTCIP: rtcIP}.validate(interfaceAddrs())
	if err != nil {
		return err
	}
	return configureNetwork(se, ip, kind)
}

// configureNetwork is ConfigureNetwork for a validated RTCIP.
func configureNetwork(se *webrtc.SettingEngine, ip net.IP, kind rtcIPKind) error {
	// UDP over IPv4 only; no TCP candidates.
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// mDNS would multicast on every interface and hide the IP rule.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Browsers that hide their addresses are learned as peer-reflexive;
	// accept them at once instead of waiting for better candidates.
	se.SetPrflxAcceptanceMinWait(0)
	// A client that reaches the server only through a TURN relay (its
	// candidates are relay ones) would otherwise wait Pion's default 2 s
	// before the pair is nominated. Checks run in priority order, so a
	// direct pair, if there is one, normally succeeds first anyway.
	se.SetRelayAcceptanceMinWait(relayAcceptanceMinWait)
	// AES-GCM (RFC 7714) first: cheaper per packet than AES-CM + HMAC.
	se.SetSRTPProtectionProfiles(
		dtls.SRTP_AEAD_AES_128_GCM,
		dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	)

	switch kind {
	case rtcIPAny:
	case rtcIPLoopback:
		se.SetIncludeLoopbackCandidate(true)
		se.SetInterfaceFilter(isLoopbackInterface)
		se.SetIPFilter(func(x net.IP) bool { return x.Equal(ip) })
		se.SetRemoteIPFilter(func(x net.IP) bool { return x.IsLoopback() })
	case rtcIPLocal:
		se.SetIPFilter(func(x net.IP) bool { return x.Equal(ip) })
	case rtcIPNAT:
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        []string{ip.String()},
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
			Networks:        []webrtc.NetworkType{webrtc.NetworkTypeUDP4},
		})
		if err != nil {
			return fmt.Errorf("media: rtc ip rewrite: %w", err)
		}
	}
	return nil
}

// configurePorts sets the ephemeral range or opens the shared UDP socket.
// It returns the mux to close, or nil, and the BatchConn under it, if any.
func configurePorts(se *webrtc.SettingEngine, cfg Config, ip net.IP, kind rtcIPKind,
	lf logging.LoggerFactory,
) (io.Closer, *BatchConn, error) {
	if cfg.UDPPortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidPorts, err)
		}
		return nil, nil, nil
	}
	if cfg.UDPPort == 0 {
		return nil, nil, nil
	}
	log := lf.NewLogger("udpmux")
	if kind == rtcIPLoopback || kind == rtcIPLocal {
		// One socket bound to exactly the allowed address.
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip, Port: cfg.UDPPort})
		if err != nil {
			return nil, nil, fmt.Errorf("media: listen udp %s:%d: %w", ip, cfg.UDPPort, err)
		}
		// Writes leave in sendmmsg batches (batchconn.go).
		bc := NewBatchConn(conn)
		mux := webrtc.NewICEUDPMux(log, bc)
		se.SetICEUDPMux(mux)
		return mux, bc, nil
	}
	// No address to bind to: one socket per non-loopback IPv4 address, all
	// on the same port; with rtcIPNAT the candidates are rewritten anyway.
	mux, err := ice.NewMultiUDPMuxFromPort(cfg.UDPPort,
		ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4),
		ice.UDPMuxFromPortWithLogger(log),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("media: listen udp port %d: %w", cfg.UDPPort, err)
	}
	se.SetICEUDPMux(mux)
	return mux, nil, nil
}

// relayAcceptanceMinWait is how long a controlling agent waits before it
// nominates a pair with a relay candidate on either side.
const relayAcceptanceMinWait = 250 * time.Millisecond

// isLoopbackInterface reports whether the named interface is a loopback one.
func isLoopbackInterface(name string) bool {
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return false
	}
	return iface.Flags&net.FlagLoopback != 0
}
