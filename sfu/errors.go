package sfu

import "errors"

var (
	// ErrClosed is returned by methods of a Peer that has been closed.
	ErrClosed = errors.New("sfu: peer closed")
	// ErrNoAPI is returned by NewPeer when PeerConfig.API is nil.
	ErrNoAPI = errors.New("sfu: PeerConfig.API is required")
	// ErrOwnTrack is returned by Subscribe for a track the Peer itself
	// publishes: media never goes back to its publisher.
	ErrOwnTrack = errors.New("sfu: cannot subscribe to own track")
	// ErrTrackEnded is returned by Subscribe for an UpTrack whose publisher
	// stopped sending it.
	ErrTrackEnded = errors.New("sfu: track ended")
	// ErrAlreadySubscribed is returned by Subscribe when the Peer already
	// receives that track.
	ErrAlreadySubscribed = errors.New("sfu: already subscribed")
	// ErrNotSubscribed is returned for a track id the Peer does not receive.
	ErrNotSubscribed = errors.New("sfu: not subscribed to track")
	// ErrInvalidQuality is returned by SetQuality for an unknown quality.
	ErrInvalidQuality = errors.New("sfu: invalid quality")
	// ErrInvalidTarget is returned for a Target other than publisher or
	// subscriber.
	ErrInvalidTarget = errors.New("sfu: invalid target")
	// ErrInvalidTrackSpec is returned by Publish when a TrackSpec names an
	// unknown source or a mid that the offer does not contain.
	ErrInvalidTrackSpec = errors.New("sfu: invalid track spec")
	// ErrInvalidSDP is returned when an SDP cannot be parsed or applied.
	ErrInvalidSDP = errors.New("sfu: invalid sdp")
	// ErrNoOfferPending is returned by SetSubscriberAnswer when no subscriber
	// offer is waiting for an answer.
	ErrNoOfferPending = errors.New("sfu: no subscriber offer pending")
	// ErrTooManyCandidates is returned by AddICECandidate when too many
	// candidates arrive before the remote description.
	ErrTooManyCandidates = errors.New("sfu: too many early ICE candidates")
	// ErrUnsupportedCodec is returned by DownTrack.Bind when the subscriber
	// did not accept the publisher's codec.
	ErrUnsupportedCodec = errors.New("sfu: subscriber does not support the track's codec")
)
