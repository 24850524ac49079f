package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// Clips: short encoded media held in memory, to be played in a loop by a
// Player (tests, load generation, a device-less native client).

// Frame is one encoded frame (video) or packet (Opus) of a Clip.
type Frame struct {
	Data     []byte
	Duration time.Duration
	// Keyframe is true for a VP8 key frame (RFC 6386 §9.1: the low bit of
	// the frame tag is 0); always false for audio.
	Keyframe bool
}

// Clip is a sequence of encoded frames of one codec.
type Clip struct {
	// MimeType is webrtc.MimeTypeVP8 or webrtc.MimeTypeOpus.
	MimeType  string
	ClockRate uint32
	// Width and Height are the video size from the IVF header.
	Width, Height int
	Frames        []Frame
}

// LoadIVF reads a VP8 IVF file.
func LoadIVF(path string) (*Clip, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, hdr, err := ivfreader.NewWith(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("client: ivf %s: %w", path, err)
	}
	if hdr.FourCC != "VP80" {
		return nil, fmt.Errorf("client: ivf %s: codec %q, want VP80", path, hdr.FourCC)
	}
	if hdr.TimebaseDenominator == 0 {
		return nil, fmt.Errorf("client: ivf %s: zero timebase", path)
	}
	tick := time.Duration(hdr.TimebaseNumerator) * time.Second / time.Duration(hdr.TimebaseDenominator)
	clip := &Clip{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, Width: int(hdr.Width), Height: int(hdr.Height)}
	var last uint64
	for {
		frame, fh, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("client: ivf %s: %w", path, err)
		}
		// ivfreader scales the pts by denominator/numerator; undo it to
		// get the pts step, in units of tick.
		if n := len(clip.Frames); n > 0 && fh.Timestamp > last && hdr.TimebaseNumerator > 0 {
			steps := (fh.Timestamp - last) * uint64(hdr.TimebaseNumerator) / uint64(hdr.TimebaseDenominator)
			clip.Frames[n-1].Duration = time.Duration(max(steps, 1)) * tick
		}
		last = fh.Timestamp
		clip.Frames = append(clip.Frames, Frame{Data: frame, Duration: tick, Keyframe: len(frame) > 0 && frame[0]&0x01 == 0})
	}
	if len(clip.Frames) == 0 || !clip.Frames[0].Keyframe {
		return nil, fmt.Errorf("client: ivf %s: does not start with a key frame", path)
	}
	return clip, nil
}

// LoadOgg reads an Ogg Opus file, one Opus packet per page (as ffmpeg
// writes with -page_duration 20000).
func LoadOgg(path string) (*Clip, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, _, err := oggreader.NewWith(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("client: ogg %s: %w", path, err)
	}
	clip := &Clip{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}
	for {
		page, ph, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("client: ogg %s: %w", path, err)
		}
		if _, isHeader := ph.HeaderType(page); isHeader || len(page) == 0 {
			continue
		}
		clip.Frames = append(clip.Frames, Frame{Data: page, Duration: opusDuration(page)})
	}
	if len(clip.Frames) == 0 {
		return nil, fmt.Errorf("client: ogg %s: no audio", path)
	}
	return clip, nil
}

// opusDuration returns the duration of an Opus packet from its TOC byte
// (RFC 6716 §3.1), 20 ms if it cannot tell.
func opusDuration(pkt []byte) time.Duration {
	const fallback = 20 * time.Millisecond
	if len(pkt) == 0 {
		return fallback
	}
	config := pkt[0] >> 3
	var frame time.Duration
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [...]time.Duration{10, 20, 40, 60}[config%4] * time.Millisecond
	case config < 16: // hybrid: 10, 20 ms
		frame = [...]time.Duration{10, 20}[config%2] * time.Millisecond
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [...]time.Duration{2500, 5000, 10000, 20000}[config%4] * time.Microsecond
	}
	switch pkt[0] & 0x03 {
	case 0:
		return frame
	case 1, 2:
		return 2 * frame
	default:
		if len(pkt) < 2 {
			return fallback
		}
		return time.Duration(pkt[1]&0x3F) * frame
	}
}
