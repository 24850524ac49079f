// Package media owns everything ringsfu needs from Pion below the level of a
// PeerConnection: one configured *webrtc.API (codecs, RTP header
// extensions, interceptors and the SettingEngine that pins ICE to the
// operator's --rtc-ip and ports), a bridge from Pion's logging to zerolog
// (per-message-shape rate limit, counted in LogStats; no goroutine),
// and small RTP helpers used on the forwarding path: keyframe detection for
// VP8, VP9, H.264 and AV1, a sequence-number/timestamp Rewriter that keeps an
// outgoing stream continuous across source switches, a pool of packet
// buffers, a latency histogram, and BatchConn, the shared UDP socket that
// sends in sendmmsg batches. FastPath (fastpath.go) is the direct send path
// over that socket: SRTPOut reaches a PeerConnection's outgoing SRTP keys
// (srtpout.go) and DatagramBatch sends datagrams encrypted in place with one
// sendmmsg (sendbatch.go). With Config.TCPPort the engine also offers
// passive ICE-TCP candidates through one listening socket (icetcp.go);
// such pairs, like relay pairs, use Pion's writer, not FastPath. The
// embedded TURN server is the subpackage turnserver, which imports nothing
// of this project either.
//
// Imports: the standard library, Pion modules, golang.org/x/net/ipv4 and
// zerolog. It imports no package of this project; package sfu builds on it.
//
// Goroutines: an Engine configured with a UDP port bound to one address
// owns a BatchConn, whose writer goroutine ends when Engine.Close closes the
// mux (and with it the BatchConn), and Pion's UDP mux, whose internal reader
// goroutine ends then too; likewise the ICE TCP mux's accept and read
// goroutines with Config.TCPPort. Such an Engine also runs FastPath's self-test
// once, in a goroutine it owns (two loopback PeerConnections for a moment);
// Close abandons and waits for it. A DatagramBatch belongs to one goroutine;
// an SRTPOut is immutable. The RTP helpers are plain values: a Rewriter must
// be used by one goroutine at a time, the keyframe functions are pure, and a
// BufferPool is safe for concurrent use.
package media
