// Package loadgen drives a running ringsfu server through its public
// protocol only (package client): N calls of M members placed with real
// invitations (invite → accept), P publishers per call sending synthetic
// media shaped like a camera (VP8, three simulcast layers) and a microphone
// (Opus), every member subscribing with real PeerConnections. It measures
// join time, per-track rates and loss, end-to-end latency (the send time is
// carried in each payload), and the CPU and memory of the server and of
// itself, and reports them as text or JSON, including the server's CPU
// time per forwarded packet and per call.
//
// Receiving is kept cheap (tap.go): each member's sockets count every RTP
// packet from its clear header (SRTP encrypts only the payload) and hand
// Pion only a sample to decrypt, on which latency and payload integrity are
// checked. Each member has its own *webrtc.API (api.go) for that.
//
// Traffic goes only to the URL it is given, which the command line limits
// to loopback addresses.
//
// Goroutine model: Run owns every goroutine it starts (one per publisher
// layer, one per received track, plus the client's own) and ends them all
// before it returns.
package loadgen
