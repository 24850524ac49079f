package sfu

import (
	"github.com/pion/rtcp"

	"github.com/ringsfu/ringsfu/media"
)

// rtcpLoop is the DownTrack's RTCP goroutine. Reading is what drives the
// sender-side interceptors (the report interceptor consumes the
// subscriber's receiver reports). Of the packets themselves it acts on
// three kinds:
//
//   - Generic NACK (RFC 4585 §6.2.1): answered from the UpTrack layer's
//     retransmission ring (retransmit.go), over RTX when negotiated.
//   - PLI (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1): relayed upstream as
//     a PLI for the layer the subscriber decodes, subject to the UpTrack's
//     500 ms throttle.
//   - REMB (draft-alvestrand-rmcat-remb): the subscriber's bandwidth
//     estimate, which caps the simulcast layer.
//
// It exits when the RTPSender stops (Unsubscribe or the PC closing).
func (d *DownTrack) rtcpLoop(r packetReader) {
	buf := make([]byte, media.PacketBufferSize)
	var rtx *rtxScratch // allocated with the first NACK
	for {
		n, _, err := r.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.up.stats.PLIsIn.Add(1)
				d.relayKeyframeRequest()
			case *rtcp.TransportLayerNack:
				if rtx == nil {
					rtx = &rtxScratch{}
				}
				d.onNACK(p, rtx)
			case *rtcp.ReceiverEstimatedMaximumBitrate:
				if d.peer != nil {
					d.onEstimate(d.peer.videoShare(uint64(p.Bitrate)))
				}
			}
		}
	}
}
