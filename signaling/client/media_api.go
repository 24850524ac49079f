package client

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// MediaAPIConfig configures NewMediaAPI.
type MediaAPIConfig struct {
	// LoopbackOnly keeps every ICE candidate, local and remote, on
	// 127.0.0.1 with the rules the server uses for --rtc-ip 127.0.0.1
	// (media.ConfigureNetwork): loopback interfaces only, loopback
	// candidates enabled, non-loopback remote candidates dropped, no mDNS,
	// UDP4. Tests and load runs on one machine set it; apps leave it off.
	LoopbackOnly bool
	// Settings, if set, adjusts the SettingEngine after the defaults (e.g.
	// ICE timeouts or a port range).
	Settings func(*webrtc.SettingEngine)
	// Interceptors are registered before the default ones (see
	// media.RegisterInterceptors).
	Interceptors []interceptor.Factory
	// Logger receives Pion's logs through media's zerolog bridge. The zero
	// value discards them.
	Logger zerolog.Logger
}

// NewMediaAPI builds the *webrtc.API a Session uses when MediaConfig.API is
// nil: ringsfu's codecs (media.RegisterCodecs: Opus, VP8, VP9, H.264, AV1,
// each video codec with RTX), the client side of ringsfu's RTP header
// extensions, and ringsfu's interceptors (NACK both ways, RTCP reports).
//
// The header extensions are those of media.RegisterHeaderExtensions seen
// from the other end: mid and rid on the publisher's sending side (Pion
// needs them to route simulcast layers, RFC 8843 §15.2 and RFC 8852 §3),
// abs-send-time and the audio level on the subscriber's receiving side.
// transport-cc is left out: the client runs no send-side estimator.
func NewMediaAPI(cfg MediaAPIConfig) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := media.RegisterCodecs(me); err != nil {
		return nil, err
	}
	if err := RegisterClientHeaderExtensions(me); err != nil {
		return nil, err
	}
	lf := media.NewLoggerFactory(cfg.Logger)
	reg := &interceptor.Registry{}
	if err := media.RegisterInterceptors(reg, lf, cfg.Interceptors...); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{LoggerFactory: lf}
	if cfg.LoopbackOnly {
		if err := media.ConfigureNetwork(&se, "127.0.0.1"); err != nil {
			return nil, err
		}
	}
	if cfg.Settings != nil {
		cfg.Settings(&se)
	}
	return webrtc.NewAPI(
		webrtc.WithMediaEngine(me),
		webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se),
	), nil
}

// RegisterClientHeaderExtensions registers with m the RTP header extensions
// a ringsfu client negotiates (see NewMediaAPI), in both directions.
func RegisterClientHeaderExtensions(m *webrtc.MediaEngine) error {
	video := []string{media.ExtMid, media.ExtRID, media.ExtRepairedRID, media.ExtAbsSendTime}
	audio := []string{media.ExtMid, media.ExtAudioLevel, media.ExtAbsSendTime}
	for _, uri := range video {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("client: register extension %s: %w", uri, err)
		}
	}
	for _, uri := range audio {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeAudio); err != nil {
			return fmt.Errorf("client: register extension %s: %w", uri, err)
		}
	}
	return nil
}
