package turnserver

import "errors"

// Errors returned by New and the relay.
var (
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("turnserver: invalid config")
	// ErrPeerRefused is returned to pion/turn when a relayed datagram is
	// addressed to a port that is not one of the SFU's media ports; the
	// datagram is dropped.
	ErrPeerRefused = errors.New("turnserver: peer address refused")
	// ErrTCPRelay is returned for RFC 6062 TCP allocations, which the
	// server does not offer (clients reach it over TCP; relays are UDP).
	ErrTCPRelay = errors.New("turnserver: TCP relay allocations are not offered")
)
