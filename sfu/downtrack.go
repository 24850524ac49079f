package sfu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
)

// DownTrack sends one UpTrack to one subscriber. It is the webrtc.TrackLocal
// of its RTPSender, so it controls the SSRC, payload type, sequence numbers
// and timestamps the subscriber sees: the stream stays continuous across
// simulcast layer switches, mutes and pauses.
type DownTrack struct {
	up       *UpTrack
	peer     *Peer // the subscriber; nil in benchmarks
	streamID string
	log      zerolog.Logger

	sender *webrtc.RTPSender // set by Subscribe before the DownTrack is shared

	// pending is set by Bind; bind, which the forwarding path uses, only
	// once the subscriber PC is connected too (activate): until DTLS has
	// finished, Pion silently drops what is written, and the keyframe that
	// starts the stream would be lost. Both are cleared by Unbind.
	pending atomic.Pointer[binding]
	bind    atomic.Pointer[binding]

	// Forwarding state. target is the layer slot the subscriber should get
	// (-1: paused); owner is the slot currently forwarded (-1: none, waiting
	// for a keyframe). See forward.go for the ownership protocol that lets
	// several layer readers share the fields below without a lock.
	target atomic.Int32
	owner  atomic.Int32
	// want is the slot the subscriber would take if every layer flowed
	// (-1: off), which decides the layers the publisher sends
	// (layers_pause.go).
	want     atomic.Int32
	inflight [maxLayers]atomic.Int32

	// Owned by the reader goroutine that holds the stream (forward.go).
	rw        media.Rewriter
	hdr       rtp.Header
	extBuf    [2]rtp.Extension
	absBuf    [3]byte
	markNext  bool   // set the marker bit on the next audio packet (RFC 3551 §4.1)
	mapGen    uint32 // generation of the Rewriter mapping last published in srcMap
	forwarded atomic.Uint64
	octets    atomic.Uint64 // payload octets written, for sender reports

	// srcMap is the current source's translation, for answering NACKs
	// (retransmit.go); retransmitted counts the packets resent.
	srcMap        atomic.Pointer[sourceMap]
	retransmitted atomic.Uint64

	// fast is the DownTrack's own encryption (fastpath.go), decided once
	// by fastFor at the first activation; nil: Pion's writer.
	fastOnce sync.Once
	fast     *fastDown
	// pionWrites counts packets handed to Pion's writer: always 0 for a
	// DownTrack with fast set.
	pionWrites atomic.Uint64

	// Probing (probe.go): padRate (bits per second, 0: off) and padUntil
	// (track clock) are set by the RTCP goroutine and read by the owning
	// reader, whose padder sends the padding; rtxSeq numbers the RTX
	// stream, shared by padding and retransmissions.
	padRate  atomic.Uint64
	padUntil atomic.Int64
	rtxSeq   atomic.Uint32
	padder   padder
	padded   atomic.Uint64
	probes   atomic.Uint64

	mu           sync.Mutex
	quality      Quality    // guarded by mu
	bweSlot      int        // guarded by mu: highest slot the bandwidth estimate allows
	estimate     uint64     // guarded by mu: latest REMB, bits per second
	haveEstimate bool       // guarded by mu: a REMB was received
	probe        probeState // guarded by mu
}

// binding is what Bind learned about the subscriber's session.
type binding struct {
	ssrc           uint32
	payloadType    uint8
	absSendID      uint8
	audioLevelID   uint8
	rtxSSRC        uint32 // 0 without RTX (RFC 4588): retransmit in the media stream
	rtxPayloadType uint8
	writer         webrtc.TrackLocalWriter
	fast           *fastDown // non-nil: never write through writer (fastpath.go)
}

var _ webrtc.TrackLocal = (*DownTrack)(nil)

func newDownTrack(up *UpTrack, peer *Peer, streamID string, log zerolog.Logger) *DownTrack {
	d := &DownTrack{
		up:       up,
		peer:     peer,
		streamID: streamID,
		log:      log.With().Str("track_id", up.id).Logger(),
		rw:       media.NewRewriter(up.codec.ClockRate),
		quality:  QualityHigh,
		bweSlot:  maxLayers - 1,
	}
	d.owner.Store(-1)
	d.target.Store(-1)
	d.want.Store(-1)
	d.rtxSeq.Store(rand.Uint32())
	return d
}

// ID returns the track id, the same as the UpTrack's (TrackLocal).
func (d *DownTrack) ID() string { return d.up.id }

// StreamID returns the msid stream id given to Subscribe (TrackLocal).
func (d *DownTrack) StreamID() string { return d.streamID }

// RID returns "": the server sends no simulcast (TrackLocal).
func (d *DownTrack) RID() string { return "" }

// Kind returns the media kind (TrackLocal).
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.up.kind }

// UpTrack returns the track this DownTrack forwards.
func (d *DownTrack) UpTrack() *UpTrack { return d.up }

// Quality returns the quality the subscriber asked for.
func (d *DownTrack) Quality() Quality {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.quality
}

// Layer returns the rid currently forwarded, "" for a non-simulcast track,
// and "off" when nothing is forwarded.
func (d *DownTrack) Layer() string {
	s := d.owner.Load()
	if s < 0 {
		return string(QualityOff)
	}
	return d.up.layers[s].rid
}

// PacketsForwarded returns how many packets were written to the subscriber.
func (d *DownTrack) PacketsForwarded() uint64 { return d.forwarded.Load() }

// Bind is called by Pion when the subscriber's answer has been applied: it
// picks the negotiated codec matching the publisher's and remembers the
// SSRC, payload type, extension ids and writer of the session
// (TrackLocal).
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codec, ok := matchCodec(d.up.codec, ctx.CodecParameters())
	if !ok {
		return webrtc.RTPCodecParameters{}, ErrUnsupportedCodec
	}
	b := &binding{
		ssrc:        uint32(ctx.SSRC()),
		payloadType: uint8(codec.PayloadType),
		writer:      ctx.WriteStream(),
	}
	if rtx := uint32(ctx.SSRCRetransmission()); rtx != 0 {
		apt := fmt.Sprintf("apt=%d", codec.PayloadType)
		for _, c := range ctx.CodecParameters() {
			if strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX) && strings.Contains(c.SDPFmtpLine, apt) {
				b.rtxSSRC, b.rtxPayloadType = rtx, uint8(c.PayloadType)
				break
			}
		}
	}
	for _, e := range ctx.HeaderExtensions() {
		switch e.URI {
		case media.ExtAbsSendTime:
			b.absSendID = uint8(e.ID)
		case media.ExtAudioLevel:
			if d.up.audioLevelID != 0 {
				b.audioLevelID = uint8(e.ID)
			}
		}
	}
	d.pending.Store(b)
	d.log.Debug().Uint32("ssrc", b.ssrc).Uint8("pt", b.payloadType).Msg("down track bound")
	if d.peer == nil || d.peer.subscriberReady() {
		d.activate()
	}
	return codec, nil
}

// Unbind is called by Pion when the sender stops (TrackLocal).
func (d *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	d.pending.Store(nil)
	d.bind.Store(nil)
	return nil
}

// activate starts forwarding once the DownTrack is bound and its PC
// connected, and asks for the keyframe that starts the stream.
func (d *DownTrack) activate() {
	b := d.pending.Load()
	if b == nil || d.bind.Load() != nil {
		return
	}
	active := *b
	active.fast = d.fastFor()
	if d.bind.CompareAndSwap(nil, &active) {
		d.requestKeyframe()
	}
}

// matchCodec finds the negotiated codec that carries the publisher's
// stream unchanged: same MIME type and, where the format parameters change
// the bitstream, the same H.264 profile and packetization mode (RFC 6184
// §8.1) or VP9 profile.
func matchCodec(want webrtc.RTPCodecParameters, have []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	var sameMime *webrtc.RTPCodecParameters
	for i := range have {
		c := &have[i]
		if !strings.EqualFold(c.MimeType, want.MimeType) {
			continue
		}
		if fmtpCompatible(want.MimeType, want.SDPFmtpLine, c.SDPFmtpLine) {
			return *c, true
		}
		if sameMime == nil {
			sameMime = c
		}
	}
	if sameMime != nil && !strings.EqualFold(want.MimeType, webrtc.MimeTypeH264) {
		return *sameMime, true
	}
	return webrtc.RTPCodecParameters{}, false
}

// fmtpCompatible compares the format parameters that matter for mime.
func fmtpCompatible(mime, a, b string) bool {
	pa, pb := parseFmtp(a), parseFmtp(b)
	switch {
	case strings.EqualFold(mime, webrtc.MimeTypeH264):
		pmA, pmB := pa["packetization-mode"], pb["packetization-mode"]
		if pmA == "" {
			pmA = "0"
		}
		if pmB == "" {
			pmB = "0"
		}
		plA, plB := pa["profile-level-id"], pb["profile-level-id"]
		if len(plA) < 4 || len(plB) < 4 {
			return pmA == pmB && plA == plB
		}
		return pmA == pmB && strings.EqualFold(plA[:4], plB[:4])
	case strings.EqualFold(mime, webrtc.MimeTypeVP9):
		idA, idB := pa["profile-id"], pb["profile-id"]
		if idA == "" {
			idA = "0"
		}
		if idB == "" {
			idB = "0"
		}
		return idA == idB
	default:
		return true
	}
}

func parseFmtp(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k != "" {
			m[strings.ToLower(k)] = v
		}
	}
	return m
}
