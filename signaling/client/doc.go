// Package client is the Go client of the ringsfu signaling protocol, for
// native apps, tests and the load generator. It connects to /v1/signal,
// signs in with hello, sends typed requests and waits for their single
// reply, and keeps the server's events in order for the application to
// take, one by one or by type.
//
// Goroutine model: a Client has one reader goroutine, started by Dial and
// ended by Close or by the connection's end. Writes are serialized by a
// mutex. A media Session (media.go) owns its worker, which also performs
// media resets (media_reset.go: new PeerConnections, publications
// published again); Session.Attach moves a Session onto the Client of a
// resumed connection. The package imports signaling (for the wire types) and is never
// imported by the server.
package client
