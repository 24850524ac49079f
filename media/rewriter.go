package media

// Rewriter maps RTP packets from one or more source streams onto a single
// continuous outgoing stream. An SFU needs this whenever what it forwards to
// one subscriber changes source: a simulcast layer switch (each layer is its
// own RTP stream with its own random sequence number and timestamp bases,
// RFC 3550 §5.1), or a pause (mute, quality "off") followed by a resume.
// The subscriber must see what looks like one sender: sequence numbers that
// increase by one per packet, so that it neither NACKs a gap that was never
// sent nor drops packets as old (RFC 3550 §A.1), and timestamps that keep
// following wall-clock time, so that jitter and playout stay sane (RFC 3550
// §5.1, §6.4.1). This is the translation RFC 7667 §3.7 describes for a
// selective forwarding middlebox.
//
// Within one source the mapping is a fixed offset, so reordered or
// retransmitted packets keep their relative position. Packets of the new
// source that are older than its first forwarded packet are refused: their
// outgoing numbers would collide with the previous source's.
//
// The zero value is unusable; create one with NewRewriter. A Rewriter is not
// safe for concurrent use and never allocates.
type Rewriter struct {
	clockRate uint32

	started   bool
	newSource bool // the next packet starts a new source
	guard     bool // still refusing packets older than baseSeq

	seqOffset uint16
	tsOffset  uint32
	baseSeq   uint16 // first source sequence number since the last switch

	generation uint32 // incremented whenever the offsets change

	lastSeq     uint16 // highest outgoing sequence number
	lastTS      uint32 // outgoing timestamp of the packet with lastSeq
	lastArrival int64  // arrival time in ns of the packet with lastSeq
}

// guardWindow is how far (in source sequence numbers) a source must advance
// past its switch point before the Rewriter stops checking for older
// packets; far beyond any reordering, far below the 2^15 wrap limit.
const guardWindow = 0x2000

// NewRewriter returns a Rewriter for a stream with the given RTP clock rate
// in Hz (90000 for video, 48000 for Opus).
func NewRewriter(clockRate uint32) Rewriter {
	return Rewriter{clockRate: clockRate}
}

// Switch announces that the next packet passed to Rewrite comes from a new
// source, or from the same source after a pause: it will get the next
// outgoing sequence number, and a timestamp advanced by the wall-clock time
// since the last forwarded packet.
func (r *Rewriter) Switch() {
	r.newSource = true
}

// Rewrite maps a source packet's sequence number and timestamp to outgoing
// ones. arrival is the packet's arrival time in nanoseconds on any
// monotonic clock; it is only used across a Switch. ok is false when the
// packet must not be forwarded.
func (r *Rewriter) Rewrite(seq uint16, ts uint32, arrival int64) (outSeq uint16, outTS uint32, ok bool) {
	switch {
	case !r.started:
		// The first source keeps its own (random) bases, as RFC 3550 §5.1
		// asks of an initial sequence number and timestamp.
		r.started, r.newSource, r.guard = true, false, true
		r.seqOffset, r.tsOffset, r.baseSeq = 0, 0, seq
		r.generation++
		r.lastSeq, r.lastTS, r.lastArrival = seq, ts, arrival
		return seq, ts, true
	case r.newSource:
		r.newSource, r.guard = false, true
		outSeq = r.lastSeq + 1
		outTS = r.lastTS + r.ticksSince(arrival)
		r.seqOffset, r.tsOffset, r.baseSeq = outSeq-seq, outTS-ts, seq
		r.generation++
		r.lastSeq, r.lastTS, r.lastArrival = outSeq, outTS, arrival
		return outSeq, outTS, true
	}
	if r.guard {
		d := int16(seq - r.baseSeq)
		if d < 0 {
			return 0, 0, false
		}
		if d > guardWindow {
			r.guard = false
		}
	}
	outSeq, outTS = seq+r.seqOffset, ts+r.tsOffset
	if int16(outSeq-r.lastSeq) > 0 {
		r.lastSeq, r.lastTS, r.lastArrival = outSeq, outTS, arrival
	}
	return outSeq, outTS, true
}

// Last returns the highest outgoing sequence number and its timestamp; ok is
// false before the first packet.
func (r *Rewriter) Last() (seq uint16, ts uint32, ok bool) {
	return r.lastSeq, r.lastTS, r.started
}

// Mapping is the current source's fixed translation: outgoing = source +
// offset, for source sequence numbers from BaseSeq on.
type Mapping struct {
	Generation uint32 // changes whenever the translation does
	SeqOffset  uint16
	TSOffset   uint32
	BaseSeq    uint16 // first source sequence number of the current source
}

// Mapping returns the current source's translation; its Generation is 0
// before the first packet.
func (r *Rewriter) Mapping() Mapping {
	return Mapping{Generation: r.generation, SeqOffset: r.seqOffset, TSOffset: r.tsOffset, BaseSeq: r.baseSeq}
}

// Generation returns the Mapping's generation without building it.
func (r *Rewriter) Generation() uint32 { return r.generation }

// ticksSince converts the time since the last forwarded packet into clock
// ticks, at least one so that the new source's first timestamp is newer.
func (r *Rewriter) ticksSince(arrival int64) uint32 {
	elapsed := arrival - r.lastArrival
	if elapsed <= 0 {
		return 1
	}
	const second = int64(1e9)
	ticks := (elapsed/second)*int64(r.clockRate) + (elapsed%second)*int64(r.clockRate)/second
	if ticks < 1 {
		return 1
	}
	return uint32(ticks)
}
