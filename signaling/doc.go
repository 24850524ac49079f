// Package signaling is the /v1/signal WebSocket endpoint of ringsfu: the
// hello gate and JWT validation, frame-size and rate limits, keep-alive
// pings, close codes, sessions (several devices per user, resume within a
// grace period), the message registry (protocol.go) and the translation
// between wire messages and room commands and events.
//
// It imports package room (and, for media, sfu through room) and never
// touches PeerConnections or RTP itself, nor decides call rules.
//
// Goroutine model: every connection has one readPump (which also runs the
// requests of that connection, one at a time) and one writePump (the only
// writer of data frames). Other goroutines reach a connection only through
// its bounded send queue; a full queue drops the connection as a slow
// consumer. Each session in its resume grace period has one timer. The
// Server owns all of them and waits for them in Shutdown.
//
// Cluster mode (Config.Cluster, cluster*.go): requests about a call
// another node owns are relayed to it and answered when it replies; events
// reach devices on other nodes through the directory; a device's session
// moves to whichever node it signs in on. A fixed set of relay worker
// goroutines (relayWorkers) runs the requests other nodes relay here, each
// device's requests on one worker, in order; a goroutine per adopted call
// waits out its members' resume grace; both end in Shutdown.
// Without Config.Cluster none of this runs.
//
// Call history (history.go, PROTOCOL.md §9.3) is read through the
// HistoryReader interface, the server API (api*.go, §9.4, mounted by cmd
// at /v1/api/) through HistoryAPI and the room Manager's server requests;
// the database behind them is in room/history, wired by cmd. History
// requests run on the connection's readPump with a timeout; API requests
// run on net/http's request goroutines and wait for the room's reply; the
// API starts no goroutine of its own.
package signaling
