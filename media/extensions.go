package media

import (
	"fmt"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// RTP header extension URIs ringsfu negotiates. Extension ids are chosen per
// session (RFC 8285), so the forwarding path strips what it receives and
// writes only what the subscriber's session negotiated.
const (
	// ExtMid is the BUNDLE mid (RFC 8843 §15.2); Pion needs it to route
	// SSRCs that the offer did not declare, i.e. rid-based simulcast.
	ExtMid = sdp.SDESMidURI
	// ExtRID is the RtpStreamId (RFC 8852 §3.1) naming a simulcast layer.
	ExtRID = sdp.SDESRTPStreamIDURI
	// ExtRepairedRID is the RepairedRtpStreamId (RFC 8852 §3.2) on RTX
	// packets of a simulcast layer.
	ExtRepairedRID = sdp.SDESRepairRTPStreamIDURI
	// ExtAbsSendTime is abs-send-time, which makes a browser subscriber run
	// its receive-side estimator and send REMB.
	ExtAbsSendTime = sdp.ABSSendTimeURI
	// ExtTransportCC is the transport-wide sequence number that lets the
	// server send transport-cc feedback to publishers.
	ExtTransportCC = sdp.TransportCCURI
	// ExtAudioLevel is the client-to-mixer audio level (RFC 6464).
	ExtAudioLevel = sdp.AudioLevelURI
)

// extensionSpec says which media kinds and which local transceiver
// directions an extension is negotiated for. "recvonly" is the publisher
// PeerConnection (the server receives), "sendonly" the subscriber one.
type extensionSpec struct {
	uri          string
	audio, video bool
	directions   []webrtc.RTPTransceiverDirection
}

func extensionSpecs() []extensionSpec {
	recv := []webrtc.RTPTransceiverDirection{webrtc.RTPTransceiverDirectionRecvonly}
	send := []webrtc.RTPTransceiverDirection{webrtc.RTPTransceiverDirectionSendonly}
	both := []webrtc.RTPTransceiverDirection{
		webrtc.RTPTransceiverDirectionRecvonly, webrtc.RTPTransceiverDirectionSendonly,
	}
	return []extensionSpec{
		// mid: needed on receive for simulcast routing; harmless on send
		// (subscriber SDPs declare every SSRC).
		{uri: ExtMid, audio: true, video: true, directions: both},
		// rid and repaired-rid: receive-only, the server never sends
		// simulcast.
		{uri: ExtRID, video: true, directions: recv},
		{uri: ExtRepairedRID, video: true, directions: recv},
		// abs-send-time: send-only. The server writes it on every forwarded
		// packet so that browser subscribers estimate bandwidth and report
		// it with REMB, which drives the simulcast layer choice.
		{uri: ExtAbsSendTime, audio: true, video: true, directions: send},
		// transport-cc: receive-only. Publishers get transport-cc feedback
		// from the TWCC sender interceptor and run their send-side
		// estimator. It is not offered to subscribers: the server has no
		// send-side estimator, and a browser that negotiates transport-cc
		// stops sending REMB.
		{uri: ExtTransportCC, audio: true, video: true, directions: recv},
		// audio level: received from publishers and forwarded (with the
		// subscriber's id) so clients can show who is speaking.
		{uri: ExtAudioLevel, audio: true, directions: both},
	}
}

// RegisterHeaderExtensions registers the extensions above with m.
func RegisterHeaderExtensions(m *webrtc.MediaEngine) error {
	for _, s := range extensionSpecs() {
		capability := webrtc.RTPHeaderExtensionCapability{URI: s.uri}
		if s.audio {
			if err := m.RegisterHeaderExtension(capability, webrtc.RTPCodecTypeAudio, s.directions...); err != nil {
				return fmt.Errorf("media: register extension %s: %w", s.uri, err)
			}
		}
		if s.video {
			if err := m.RegisterHeaderExtension(capability, webrtc.RTPCodecTypeVideo, s.directions...); err != nil {
				return fmt.Errorf("media: register extension %s: %w", s.uri, err)
			}
		}
	}
	return nil
}
