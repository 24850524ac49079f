package sfu

import "fmt"

// Target names one of a Peer's two PeerConnections (PROTOCOL.md §6).
type Target string

const (
	// TargetPublisher is the PC where the client offers the tracks it sends.
	TargetPublisher Target = "publisher"
	// TargetSubscriber is the PC where the server offers the tracks the
	// client receives.
	TargetSubscriber Target = "subscriber"
)

// Quality is what a subscriber asks to receive of a video track.
type Quality string

const (
	// QualityHigh selects the rid "f" layer (the default).
	QualityHigh Quality = "high"
	// QualityMedium selects the rid "h" layer.
	QualityMedium Quality = "medium"
	// QualityLow selects the rid "q" layer.
	QualityLow Quality = "low"
	// QualityOff pauses the track for this subscriber.
	QualityOff Quality = "off"
)

// Simulcast rids as PROTOCOL.md §6 names them: quarter, half and full
// resolution.
const (
	RIDLow    = "q"
	RIDMedium = "h"
	RIDHigh   = "f"
)

// Track sources a TrackSpec may name.
const (
	SourceCamera     = "camera"
	SourceMicrophone = "microphone"
	SourceScreen     = "screen"
)

// maxLayers is the number of simulcast layers forwarded per track.
const maxLayers = 3

// TrackSpec maps an m-line of a publisher offer (by mid) to a source.
type TrackSpec struct {
	Mid    string
	Source string
}

// rank returns the layer rank a quality asks for, -1 for QualityOff.
func (q Quality) rank() (int, error) {
	switch q {
	case QualityLow:
		return 0, nil
	case QualityMedium:
		return 1, nil
	case QualityHigh:
		return 2, nil
	case QualityOff:
		return -1, nil
	default:
		return 0, fmt.Errorf("%w: %q", ErrInvalidQuality, string(q))
	}
}

func validSource(s string) bool {
	return s == SourceCamera || s == SourceMicrophone || s == SourceScreen
}

func validTarget(t Target) bool {
	return t == TargetPublisher || t == TargetSubscriber
}
