package sfu

import (
	"errors"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// negotiationErrLevel is the level to log a failed negotiation step at: a
// PeerConnection closed under it (the member left, or the server is shutting
// down) is the normal end of a Peer, not an error, and logs at debug.
func negotiationErrLevel(err error) zerolog.Level {
	if errors.Is(err, webrtc.ErrConnectionClosed) {
		return zerolog.DebugLevel
	}
	return zerolog.ErrorLevel
}
