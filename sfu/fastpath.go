package sfu

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
)

// The direct send path (media.FastPath).
//
// When the subscriber PC connects, the Peer derives its outgoing SRTP keys
// (media.NewSRTPOut) and watches its selected candidate pair. Each
// DownTrack decides ONCE, at its first activation, whether it encrypts
// itself: if the Peer's fast path exists by then, the DownTrack gets its
// own srtp.Context and from then on every packet of its SSRCs (media and
// RTX, forwarded and retransmitted) is encrypted by that context and never
// handed to Pion's writer — two contexts encrypting one SSRC would reuse
// AES-GCM nonces. A DownTrack activated before the fast path existed keeps
// Pion's writer for its whole life, for the same reason.
//
// Where the encrypted packet goes is decided per packet from the selected
// pair: to the pair's remote address through the layer reader's
// DatagramBatch (one sendmmsg for a whole fan-out) when the pair's local
// side is the shared socket and both sides are UDP without relay; through
// Pion's ICE connection (media.SRTPOut.WriteRaw) otherwise — a relay or
// TCP pair, or while a pair change is being taken into account. Both carry
// the same encryption and sequence numbers, so a pair change or an ICE
// restart loses nothing and breaks no sequence.

var errPacketTooLarge = errors.New("sfu: packet too large for the send buffer")

// fastPeer is a subscriber PC's direct send state.
type fastPeer struct {
	fp     *media.FastPath
	out    *media.SRTPOut
	tagLen int
	remote atomic.Pointer[netip.AddrPort] // nil: send through Pion's ICE connection
}

// startFastPath sets up the direct path when the subscriber PC has
// connected, before any DownTrack is activated; it does nothing when the
// engine has none, its self-test has not passed, or the keys cannot be
// reached (Pion's writer is used then).
func (p *Peer) startFastPath() {
	fp := p.cfg.FastPath
	if fp == nil || !fp.Ready() || p.fast.Load() != nil {
		return
	}
	out, err := media.NewSRTPOut(p.sub)
	if err != nil {
		p.log.Debug().Err(err).Msg("fast path not available")
		return
	}
	f := &fastPeer{fp: fp, out: out, tagLen: out.TagLen()}
	ice := p.sub.SCTP().Transport().ICETransport()
	ice.OnSelectedCandidatePairChange(f.setPair)
	pair, err := ice.GetSelectedCandidatePair()
	if err == nil {
		f.setPair(pair)
	}
	if p.fast.CompareAndSwap(nil, f) {
		p.log.Debug().Bool("direct", f.remote.Load() != nil).Msg("fast path started")
	}
}

// setPair follows the selected candidate pair.
func (f *fastPeer) setPair(pair *webrtc.ICECandidatePair) {
	if r, ok := f.fp.Usable(pair); ok {
		f.remote.Store(&r)
		return
	}
	f.remote.Store(nil)
}

// fastDown is a DownTrack's own encryption.
type fastDown struct {
	peer *fastPeer
	mu   sync.Mutex    // guards the rest: the owning reader and the RTCP goroutine (NACKs) share it
	ctx  *srtp.Context // the only context that ever encrypts this DownTrack's SSRCs
	hdr  rtp.Header    // EncryptRTP's scratch
	buf  [media.BatchBufSize]byte

	direct, viaICE atomic.Uint64 // packets sent each way
}

// fastFor decides, once, whether d encrypts itself, and returns its state
// (nil: Pion's writer).
func (d *DownTrack) fastFor() *fastDown {
	d.fastOnce.Do(func() {
		defer func() {
			if d.fast != nil {
				d.up.stats.DownTracksFast.Add(1)
			} else {
				d.up.stats.DownTracksPion.Add(1)
			}
		}()
		if d.peer == nil {
			return
		}
		f := d.peer.fast.Load()
		if f == nil {
			return
		}
		ctx, err := f.out.NewContext()
		if err != nil {
			d.log.Debug().Err(err).Msg("fast path context")
			return
		}
		d.fast = &fastDown{peer: f, ctx: ctx}
	})
	return d.fast
}

// sendBatch is a forwarding goroutine's DatagramBatch, created with the
// first packet that goes out directly.
type sendBatch struct{ b *media.DatagramBatch }

// flush sends what the goroutine batched.
func (s *sendBatch) flush() {
	if s != nil && s.b != nil {
		s.b.Flush()
	}
}

// send encrypts one packet and sends it: into sb when the pair is direct
// (sb may be nil: then at once), through Pion's ICE connection otherwise.
// It returns the plaintext size.
func (fd *fastDown) send(h *rtp.Header, payload []byte, sb *sendBatch) (int, error) {
	remote := fd.peer.remote.Load()
	conn := fd.peer.fp.Conn()
	var batch *media.DatagramBatch
	if remote != nil && sb != nil {
		if sb.b == nil {
			sb.b = media.NewDatagramBatch(conn)
		}
		if sb.b.Conn() == conn {
			batch = sb.b
		}
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	buf := fd.buf[:]
	if batch != nil {
		buf = batch.Slot()
	}
	hl := h.MarshalSize()
	if hl+len(payload)+fd.peer.tagLen > len(buf) {
		return 0, errPacketTooLarge
	}
	if _, err := h.MarshalTo(buf); err != nil {
		return 0, err
	}
	n := hl + copy(buf[hl:], payload)
	enc, err := fd.ctx.EncryptRTP(buf[:0], buf[:n], &fd.hdr)
	if err != nil {
		return 0, err
	}
	switch {
	case batch != nil:
		batch.Commit(len(enc), *remote)
		fd.direct.Add(1)
	case remote != nil:
		_, err = conn.WriteToUDPAddrPort(enc, *remote)
		fd.direct.Add(1)
	default:
		_, err = fd.peer.out.WriteRaw(enc)
		fd.viaICE.Add(1)
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}
