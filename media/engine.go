package media

import (
	"fmt"
	"io"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// Engine holds the one *webrtc.API every PeerConnection of the server is
// created from, and the UDP mux it may share.
type Engine struct {
	api       *webrtc.API
	mux       io.Closer  // nil without Config.UDPPort
	tcpMux    io.Closer  // nil without Config.TCPPort
	batch     *BatchConn // the shared socket's writer; nil without a bound UDPPort
	fast      *FastPath  // the direct send path over the shared socket; nil without it
	selfTest  sync.WaitGroup
	log       zerolog.Logger
	logs      LoggerFactory // Pion's loggers, with their rate limit and counters
	closeOnce sync.Once
	closeErr  error
}

// New builds an Engine from cfg: a MediaEngine with ringsfu's codecs and
// header extensions, the interceptors of RegisterServerInterceptors, and a
// SettingEngine restricted as Config documents. With Config.UDPPort it opens
// the shared UDP socket at once, so a port in use is reported here.
func New(cfg Config) (*Engine, error) {
	ip, kind, err := cfg.validate(interfaceAddrs())
	if err != nil {
		return nil, err
	}
	lf := NewLoggerFactory(cfg.Logger)

	me := &webrtc.MediaEngine{}
	if err := RegisterCodecs(me); err != nil {
		return nil, err
	}
	if err := RegisterHeaderExtensions(me); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := RegisterServerInterceptors(reg, lf, cfg.ExtraInterceptors...); err != nil {
		return nil, err
	}

	se := webrtc.SettingEngine{LoggerFactory: lf}
	if err := configureNetwork(&se, ip, kind); err != nil {
		return nil, err
	}
	// Where the server answers (publisher PCs) it takes the DTLS server
	// role, so that it, not the client, picks the SRTP profile (RFC 5764
	// §4.1.2) and AES-GCM wins; Chromium as DTLS server picks AES-CM.
	// Where it offers (subscriber PCs) it offers actpass and browsers
	// answer active, which makes it the DTLS server too.
	if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
		return nil, fmt.Errorf("media: dtls role: %w", err)
	}
	mux, batch, err := configurePorts(&se, cfg, ip, kind, lf)
	if err != nil {
		return nil, err
	}
	tcpMux, err := configureICETCP(&se, cfg, ip, kind, lf)
	if err != nil {
		if mux != nil {
			_ = mux.Close()
		}
		return nil, err
	}

	e := &Engine{
		api: webrtc.NewAPI(
			webrtc.WithMediaEngine(me),
			webrtc.WithInterceptorRegistry(reg),
			webrtc.WithSettingEngine(se),
		),
		mux:    mux,
		tcpMux: tcpMux,
		batch:  batch,
		log:    cfg.Logger,
		logs:   lf,
	}
	if batch != nil {
		e.fast = newFastPath(batch.conn, e.api, cfg.Logger)
		e.selfTest.Add(1)
		go func() {
			defer e.selfTest.Done()
			if err := e.fast.SelfTest(); err != nil {
				e.log.Warn().Err(err).Msg("fast send path disabled; forwarding through Pion's writer")
				return
			}
			e.log.Debug().Msg("fast send path ready")
		}()
	}
	e.log.Info().Str("rtc_ip", cfg.RTCIP).Int("udp_port", cfg.UDPPort).
		Uint16("udp_port_min", cfg.UDPPortMin).Uint16("udp_port_max", cfg.UDPPortMax).Int("tcp_port", cfg.TCPPort).
		Msg("media engine ready")
	return e, nil
}

// API returns the *webrtc.API to create PeerConnections with. It stays
// usable until Close.
func (e *Engine) API() *webrtc.API { return e.api }

// FastPath returns the direct send path over the shared socket, or nil
// when the engine has no socket bound to one address (media/fastpath.go).
func (e *Engine) FastPath() *FastPath { return e.fast }

// SendQueueDelay returns the batching delay of the shared UDP socket
// (BatchConn.QueueDelay); empty when the engine has no shared socket bound
// to one address.
func (e *Engine) SendQueueDelay() LatencySnapshot {
	if e.batch == nil {
		return LatencySnapshot{}
	}
	return e.batch.QueueDelay()
}

// LogStats returns the counters of the warnings and errors Pion logged,
// including those the log rate limit suppressed.
func (e *Engine) LogStats() *LogStats { return e.logs.Stats() }

// Close releases the shared UDP socket, if any, and writes the summaries of
// Pion messages still suppressed. PeerConnections created from the API
// should be closed first. Close is idempotent.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		defer e.logs.Flush()
		if e.fast != nil {
			close(e.fast.stop)
			e.selfTest.Wait()
		}
		if e.mux != nil {
			if err := e.mux.Close(); err != nil {
				e.closeErr = fmt.Errorf("media: close udp mux: %w", err)
			}
		}
		if e.tcpMux != nil {
			if err := e.tcpMux.Close(); err != nil && e.closeErr == nil {
				e.closeErr = fmt.Errorf("media: close tcp mux: %w", err)
			}
		}
	})
	return e.closeErr
}
