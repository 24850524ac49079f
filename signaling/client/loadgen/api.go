package loadgen

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// newMemberAPI builds one member's *webrtc.API: the client's codecs and
// header extensions, loopback-only networking through the member's tapNet
// (tap.go), and only the send-side interceptors a publisher needs (the NACK
// responder answers the server's NACKs; sender reports give the server's
// receiver reports their LSR). There is no NACK generator, receiver-report
// or TWCC interceptor: Pion sees only a sample of what a subscriber
// receives, and would take the rest for losses.
func newMemberAPI(counters *rtpCounters) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := media.RegisterCodecs(me); err != nil {
		return nil, fmt.Errorf("loadgen: codecs: %w", err)
	}
	if err := client.RegisterClientHeaderExtensions(me); err != nil {
		return nil, fmt.Errorf("loadgen: extensions: %w", err)
	}
	lf := media.NewLoggerFactory(zerolog.Nop())
	reg := &interceptor.Registry{}
	responder, err := nack.NewResponderInterceptor(nack.WithResponderLoggerFactory(lf))
	if err != nil {
		return nil, fmt.Errorf("loadgen: nack responder: %w", err)
	}
	reg.Add(responder)
	senderReports, err := report.NewSenderInterceptor(report.WithSenderLoggerFactory(lf))
	if err != nil {
		return nil, fmt.Errorf("loadgen: sender reports: %w", err)
	}
	reg.Add(senderReports)
	tn, err := newTapNet(counters)
	if err != nil {
		return nil, fmt.Errorf("loadgen: net: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: lf}
	if err := media.ConfigureNetwork(&se, "127.0.0.1"); err != nil {
		return nil, fmt.Errorf("loadgen: network: %w", err)
	}
	se.SetNet(tn)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}
