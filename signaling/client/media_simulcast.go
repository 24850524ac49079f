package client

import (
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media"
)

// ridTrack wraps one simulcast layer of a published track so that every
// packet it sends carries the mid (RFC 8843 §15.2) and rid (RFC 8852 §3.1)
// header extensions with this session's ids. The receiver needs them to
// route SSRCs that the SDP does not declare; Pion v4.2.20 does not add them
// when sending.
type ridTrack struct {
	webrtc.TrackLocal
	mid atomic.Pointer[string]
	// paused is set while the server says nobody needs the layer
	// (media_layers.go): its packets are dropped before Pion.
	paused  atomic.Bool
	sent    atomic.Uint64
	dropped atomic.Uint64
}

var _ webrtc.TrackLocal = (*ridTrack)(nil)

// setMid records the transceiver's mid once the offer has assigned it.
func (t *ridTrack) setMid(mid string) {
	if mid != "" {
		t.mid.Store(&mid)
	}
}

// Bind binds the layer with a writer that adds the extensions.
func (t *ridTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	w := &ridWriter{inner: ctx.WriteStream(), track: t, rid: []byte(t.RID())}
	for _, e := range ctx.HeaderExtensions() {
		switch e.URI {
		case media.ExtMid:
			w.midID = uint8(e.ID)
		case media.ExtRID:
			w.ridID = uint8(e.ID)
		}
	}
	return t.TrackLocal.Bind(ridContext{TrackLocalContext: ctx, w: w})
}

// ridContext hands the wrapped track the extension-adding writer.
type ridContext struct {
	webrtc.TrackLocalContext
	w *ridWriter
}

func (c ridContext) WriteStream() webrtc.TrackLocalWriter { return c.w }

// ridWriter adds mid and rid to each packet on its way to the sender.
type ridWriter struct {
	inner        webrtc.TrackLocalWriter
	track        *ridTrack
	rid          []byte
	midID, ridID uint8
}

// WriteRTP writes a copy of the header with the extensions set; the
// caller's header and its extension slice are left untouched. While the
// layer is paused it drops the packet.
func (w *ridWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	if w.track.paused.Load() {
		w.track.dropped.Add(1)
		return 0, nil
	}
	w.track.sent.Add(1)
	hdr := *h
	hdr.Extensions = append(make([]rtp.Extension, 0, len(h.Extensions)+2), h.Extensions...)
	if w.midID != 0 {
		if mid := w.track.mid.Load(); mid != nil {
			if err := hdr.SetExtension(w.midID, []byte(*mid)); err != nil {
				return 0, err
			}
		}
	}
	if w.ridID != 0 {
		if err := hdr.SetExtension(w.ridID, w.rid); err != nil {
			return 0, err
		}
	}
	return w.inner.WriteRTP(&hdr, payload)
}

// Write parses a marshaled packet and writes it through WriteRTP.
func (w *ridWriter) Write(b []byte) (int, error) {
	var pkt rtp.Packet
	if err := pkt.Unmarshal(b); err != nil {
		return 0, err
	}
	return w.WriteRTP(&pkt.Header, pkt.Payload)
}
