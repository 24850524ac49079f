// Package media owns everything ringsfu needs from Pion below the level of a
// PeerConnection: one configured *webrtc.API (codecs, RTP header
// extensions, interceptors and the SettingEngine that pins ICE to the
// operator's --rtc-ip and ports), a bridge from Pion's logging to zerolog,
// and small RTP helpers used on the forwarding path: keyframe detection for
// VP8, VP9, H.264 and AV1, a sequence-number/timestamp Rewriter that keeps an
// outgoing stream continuous across source switches, and a pool of packet
// buffers.
//
// Imports: the standard library, Pion modules and zerolog. It imports no
// package of this project; package sfu builds on it.
//
// Goroutines: the package starts none of its own. An Engine configured with
// a UDP port owns Pion's UDP mux, whose internal reader goroutine ends when
// Engine.Close is called. The RTP helpers are plain values: a Rewriter must
// be used by one goroutine at a time, the keyframe functions are pure, and a
// BufferPool is safe for concurrent use.
package media
