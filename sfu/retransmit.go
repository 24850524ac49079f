package sfu

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/ringsfu/ringsfu/media"
)

// Retransmission (RFC 4585 §6.2.1 generic NACK, RFC 4588 RTX).
//
// Every received video layer keeps ONE ring of its last ringSize packets
// that were forwarded to at least one subscriber, as received from the
// publisher (sequence number, timestamp, marker, payload); a layer nobody
// receives allocates no ring. A subscriber's NACK names sequence numbers of its own outgoing
// stream; the DownTrack maps them back to the layer's numbers through the
// translation of the source it currently forwards (media.Mapping, published
// by the forwarding path at every source switch), copies the packet out of
// the ring, rewrites the header for the subscriber's session and sends it,
// over RTX when the subscriber negotiated it (payload prefixed with the
// original sequence number, RFC 4588 §4), as plain retransmission
// otherwise. This replaces Pion's per-subscriber NACK responder, which kept
// its own copy of every packet for every subscriber.
//
// Packets of an earlier source (before a layer switch or a pause) are not
// retransmitted: the subscriber restarted at a keyframe anyway.
//
// Retransmission is bounded so that a subscriber that cannot keep up (its
// receive buffer overflowing, so it NACKs ever more) does not make the
// server send ever more: a packet is resent only while it is younger than
// maxResendAge, at most maxResends times per subscriber, and not again
// within minResendInterval (a NACK generator repeats its requests every
// interval until the packet arrives).

// ringSize is how many packets of a layer are kept: a power of two (so the
// slot of a sequence number survives its 16-bit wrap), about 1.7 s of a 150
// packets/s top layer and 8 s of a 30 packets/s low one; a NACK answered
// later than that repairs nothing a real-time decoder still waits for.
// A layer's ring costs ringSize × 1.5 kB = 390 kB, shared by all its
// subscribers.
const ringSize = 256

const (
	maxResendAge      = int64(time.Second)
	minResendInterval = int64(50 * time.Millisecond)
	maxResends        = 3
)

// retransmitRing is one layer's packet history. The layer's reader writes
// it; DownTracks' RTCP goroutines read it. The slots are allocated with the
// first packet, so layers that never flow cost nothing.
type retransmitRing struct {
	mu    sync.Mutex // not RW: NACKs are rare, and RWMutex costs the writer more
	slots []ringSlot // guarded by mu; nil until the first push
}

type ringSlot struct {
	seq     uint16
	valid   bool
	marker  bool
	ts      uint32
	n       int
	arrival int64 // track clock, ns
	buf     [media.PacketBufferSize]byte
}

// push records a received packet that arrived at now (track clock).
func (r *retransmitRing) push(seq uint16, ts uint32, marker bool, now int64, payload []byte) {
	if len(payload) > media.PacketBufferSize {
		return
	}
	r.mu.Lock()
	if r.slots == nil {
		r.slots = make([]ringSlot, ringSize)
	}
	s := &r.slots[seq%ringSize]
	s.seq, s.ts, s.marker, s.valid, s.arrival = seq, ts, marker, true, now
	s.n = copy(s.buf[:], payload)
	r.mu.Unlock()
}

// get copies the payload of packet seq into dst and returns its length,
// timestamp and marker; ok is false when the ring no longer holds it or it
// arrived before notBefore (track clock).
func (r *retransmitRing) get(seq uint16, notBefore int64, dst []byte) (n int, ts uint32, marker, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.slots == nil {
		return 0, 0, false, false
	}
	s := &r.slots[seq%ringSize]
	if !s.valid || s.seq != seq || len(dst) < s.n || s.arrival < notBefore {
		return 0, 0, false, false
	}
	return copy(dst, s.buf[:s.n]), s.ts, s.marker, true
}

// sourceMap is the translation of the source a DownTrack forwards,
// published (immutable) by the forwarding path at each switch.
type sourceMap struct {
	slot int
	m    media.Mapping
}

// publishMapping is called by the owning reader after each rewritten packet;
// it allocates only when the source changed.
func (d *DownTrack) publishMapping(slot int) {
	if g := d.rw.Generation(); g != d.mapGen {
		d.mapGen = g
		d.srcMap.Store(&sourceMap{slot: slot, m: d.rw.Mapping()})
	}
}

// rtxScratch is the RTCP goroutine's own header and buffer for
// retransmissions (the forwarding path's scratch belongs to the readers).
type rtxScratch struct {
	hdr    rtp.Header
	extBuf [1]rtp.Extension
	absBuf [3]byte
	buf    [2 + media.PacketBufferSize]byte

	// sent remembers, per ring slot, this subscriber's resends of a
	// packet (source sequence number, count, last time on the track
	// clock).
	sent [ringSize]resendRecord
}

type resendRecord struct {
	seq   uint16
	count uint8
	at    int64
}

// allow reports whether packet src may be resent at now, and records it.
func (s *rtxScratch) allow(src uint16, now int64) bool {
	r := &s.sent[src%ringSize]
	if r.count == 0 || r.seq != src {
		*r = resendRecord{seq: src, count: 1, at: now}
		return true
	}
	if r.count >= maxResends || now-r.at < minResendInterval {
		return false
	}
	r.count++
	r.at = now
	return true
}

// onNACK answers a subscriber's generic NACK from the UpTrack's ring. It
// runs on the DownTrack's RTCP goroutine.
func (d *DownTrack) onNACK(n *rtcp.TransportLayerNack, s *rtxScratch) {
	b := d.bind.Load()
	m := d.srcMap.Load()
	if b == nil || m == nil || !d.up.isVideo() {
		return
	}
	ring := &d.up.layers[m.slot].ring
	asked := 0
	defer func() { d.up.stats.NACKsIn.Add(uint64(asked)) }()
	for _, p := range n.Nacks {
		asked += 1 + bits.OnesCount16(uint16(p.LostPackets))
		d.resend(b, m, ring, p.PacketID, s)
		for i := uint16(0); i < 16; i++ {
			if p.LostPackets&(1<<i) != 0 {
				d.resend(b, m, ring, p.PacketID+i+1, s)
			}
		}
	}
}

// resend retransmits outgoing packet outSeq if it belongs to the current
// source and the ring still holds it.
func (d *DownTrack) resend(b *binding, m *sourceMap, ring *retransmitRing, outSeq uint16, s *rtxScratch) {
	src := outSeq - m.m.SeqOffset
	if int16(src-m.m.BaseSeq) < 0 {
		return // before the current source started
	}
	now := d.up.now()
	n, ts, marker, ok := ring.get(src, now-maxResendAge, s.buf[2:])
	if !ok || !s.allow(src, now) {
		return
	}
	h := &s.hdr
	*h = rtp.Header{Version: 2, Marker: marker, Timestamp: ts + m.m.TSOffset, Extensions: s.extBuf[:0]}
	if b.absSendID != 0 {
		media.PutAbsSendTime(s.absBuf[:], media.AbsSendTime(time.Now().UnixNano()))
		_ = h.SetExtension(b.absSendID, s.absBuf[:])
	}
	payload := s.buf[2 : 2+n]
	if b.rtxSSRC != 0 && b.rtxPayloadType != 0 {
		// RFC 4588 §4: the original sequence number, then the payload.
		binary.BigEndian.PutUint16(s.buf[:2], outSeq)
		payload = s.buf[:2+n]
		h.SSRC, h.PayloadType, h.SequenceNumber = b.rtxSSRC, b.rtxPayloadType, uint16(d.rtxSeq.Add(1))
	} else {
		h.SSRC, h.PayloadType, h.SequenceNumber = b.ssrc, b.payloadType, outSeq
	}
	var err error
	if b.fast != nil {
		_, err = b.fast.send(h, payload, nil)
	} else {
		d.pionWrites.Add(1)
		_, err = b.writer.WriteRTP(h, payload)
	}
	if err == nil {
		d.retransmitted.Add(1)
		d.up.stats.Retransmits.Add(1)
	}
}

// PacketsRetransmitted returns how many packets were resent after NACKs.
func (d *DownTrack) PacketsRetransmitted() uint64 { return d.retransmitted.Load() }
