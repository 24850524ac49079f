package media

import (
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// configureICETCP adds passive ICE-TCP host candidates (RFC 6544) on
// RTCIP:TCPPort, through one listening socket shared by every
// PeerConnection (Pion's ICE TCP mux), for clients whose UDP is blocked.
// It returns the mux to close, or nil without Config.TCPPort.
//
// The media fast path never serves these pairs (FastPath.Usable wants UDP
// on both sides): their packets go through Pion's writer and the TCP
// framing of RFC 4571.
func configureICETCP(se *webrtc.SettingEngine, cfg Config, ip net.IP, kind rtcIPKind,
	lf logging.LoggerFactory,
) (io.Closer, error) {
	if cfg.TCPPort == 0 {
		return nil, nil
	}
	if cfg.TCPPort < 0 || cfg.TCPPort > 65535 {
		return nil, fmt.Errorf("%w: tcp port %d", ErrInvalidPorts, cfg.TCPPort)
	}
	host := "0.0.0.0"
	if kind == rtcIPLoopback || kind == rtcIPLocal {
		host = ip.String()
	}
	ln, err := net.Listen("tcp4", net.JoinHostPort(host, strconv.Itoa(cfg.TCPPort)))
	if err != nil {
		return nil, fmt.Errorf("media: listen tcp %s:%d: %w", host, cfg.TCPPort, err)
	}
	mux := ice.NewTCPMuxDefault(ice.TCPMuxParams{
		Listener:        ln,
		Logger:          lf.NewLogger("tcpmux"),
		ReadBufferSize:  64,
		WriteBufferSize: 4 << 20,
	})
	se.SetICETCPMux(mux)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4}
	se.SetNetworkTypes(networks)
	if kind == rtcIPNAT {
		// Replaces the UDP-only rule configureNetwork set.
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        []string{ip.String()},
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
			Networks:        networks,
		})
		if err != nil {
			_ = mux.Close()
			return nil, fmt.Errorf("media: rtc ip rewrite: %w", err)
		}
	}
	return mux, nil
}
