package media

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
)

// RegisterInterceptors adds the interceptors a ringsfu *client* relies on
// to r (package signaling/client and the tests' simulated browsers), chosen
// one by one rather than through webrtc.RegisterDefaultInterceptors:
//
//   - NACK responder (RFC 4585 §6.2.1): keeps the last packets written to
//     each stream and answers the server's NACKs, over RTX (RFC 4588) when
//     negotiated.
//   - NACK generator: detects gaps in what publishers send and asks them to
//     retransmit, so a loss on the publisher's uplink is repaired before the
//     packet is fanned out.
//   - RTCP receiver reports toward publishers and sender reports toward
//     subscribers (RFC 3550 §6.4): round-trip time for the publisher's
//     loss recovery, and the NTP/RTP mapping a subscriber needs.
//   - TWCC sender: transport-wide congestion control feedback
//     (draft-holmer-rmcat-transport-wide-cc-extensions-01) for publishers,
//     whose send-side estimator needs it to ramp up — without it a browser
//     stays near its start bitrate and withholds its top simulcast layer.
//
// Left out on purpose: the stats interceptor (ringsfu does not serve
// getStats), the TWCC header-extension sender and a GCC estimator (the
// subscriber's bandwidth comes from REMB instead), interval PLI (keyframes
// are requested on demand by package sfu, with a throttle) and FlexFEC.
//
// The interceptors only act on a stream while somebody reads its RTCP, which
// is why package sfu runs one RTCP reader per RTPSender and RTPReceiver.
//
// extra factories, if any, are added first: on the receive path they see a
// packet before the NACK generator does.
func RegisterInterceptors(r *interceptor.Registry, lf logging.LoggerFactory, extra ...interceptor.Factory) error {
	for _, f := range extra {
		r.Add(f)
	}
	responder, err := nack.NewResponderInterceptor(nack.WithResponderLoggerFactory(lf))
	if err != nil {
		return fmt.Errorf("media: nack responder: %w", err)
	}
	r.Add(responder)
	if err := registerCommon(r, lf); err != nil {
		return err
	}
	senderReports, err := report.NewSenderInterceptor(report.WithSenderLoggerFactory(lf))
	if err != nil {
		return fmt.Errorf("media: sender reports: %w", err)
	}
	r.Add(senderReports)
	return nil
}

// RegisterServerInterceptors adds the server's lean set to r: the NACK
// generator, receiver reports and the TWCC sender, which act on what
// publishers send, and nothing on the per-subscriber send path:
//
//   - no NACK responder: it would keep its own copy of the last 1024
//     packets of every stream it sends (80% of the server's heap with 100
//     subscribers) and copy every forwarded packet once more; package sfu
//     keeps ONE retransmission ring per received layer instead and answers
//     subscribers' NACKs from it (sfu/retransmit.go);
//   - no sender-report interceptor: it takes a lock and reads the clock for
//     every packet written to every subscriber; package sfu sends the
//     sender reports itself once a second from counters it keeps anyway
//     (sfu/senderreport.go).
//
// New uses this set.
func RegisterServerInterceptors(r *interceptor.Registry, lf logging.LoggerFactory, extra ...interceptor.Factory) error {
	for _, f := range extra {
		r.Add(f)
	}
	return registerCommon(r, lf)
}

// registerCommon adds the receive-side interceptors clients and the server
// share.
func registerCommon(r *interceptor.Registry, lf logging.LoggerFactory) error {
	generator, err := nack.NewGeneratorInterceptor(nack.WithGeneratorLoggerFactory(lf))
	if err != nil {
		return fmt.Errorf("media: nack generator: %w", err)
	}
	receiverReports, err := report.NewReceiverInterceptor(report.WithReceiverLoggerFactory(lf))
	if err != nil {
		return fmt.Errorf("media: receiver reports: %w", err)
	}
	twccSender, err := twcc.NewSenderInterceptor(twcc.WithLoggerFactory(lf))
	if err != nil {
		return fmt.Errorf("media: twcc sender: %w", err)
	}
	r.Add(generator)
	r.Add(receiverReports)
	r.Add(twccSender)
	return nil
}
