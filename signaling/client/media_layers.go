package client

import (
	"slices"

	"github.com/ringsfu/ringsfu/signaling"
)

// Layer pausing (PROTOCOL.md §9.2): the server names, in a
// `publisherLayers` event, the simulcast layers of a published track that
// some subscriber needs. The session stops handing the other layers'
// packets to Pion (its rid writer drops them, so nothing is encrypted or
// sent), resumes the named ones, and tells the application through
// LocalTrack.OnLayers so that it can stop encoding the paused ones. When a
// paused layer is resumed the server asks for its keyframe
// (OnKeyframeRequest).

// applyLayers handles a publisherLayers event on the session's worker.
func (s *Session) applyLayers(ev *signaling.PublisherLayers) {
	s.mu.Lock()
	var pub *Publication
	for _, p := range s.pubs {
		if !p.removed && len(p.layers) > 0 && p.Mid() == ev.Mid {
			pub = p
			break
		}
	}
	s.mu.Unlock()
	if pub == nil {
		return // unpublished meanwhile, or not simulcast
	}
	changed := false
	for _, l := range pub.layers {
		paused := !slices.Contains(ev.Active, l.RID())
		if l.paused.Swap(paused) != paused {
			changed = true
		}
	}
	if changed {
		s.log.Debug().Str("mid", ev.Mid).Strs("active", ev.Active).Msg("publisher layers")
	}
	if pub.onLayers != nil {
		pub.onLayers(pub.ActiveLayers())
	}
}

// ActiveLayers returns the rids of the simulcast layers being sent (the
// server pauses those nobody watches), lowest first; nil without
// simulcast.
func (p *Publication) ActiveLayers() []string {
	var out []string
	for _, l := range p.layers {
		if !l.paused.Load() {
			out = append(out, l.RID())
		}
	}
	return out
}

// LayerPackets returns how many packets of simulcast layer rid were handed
// to the PeerConnection, and how many were dropped while the layer was
// paused.
func (p *Publication) LayerPackets(rid string) (sent, dropped uint64) {
	for _, l := range p.layers {
		if l.RID() == rid {
			return l.sent.Load(), l.dropped.Load()
		}
	}
	return 0, 0
}

// resumeLayers turns every layer back on, for a new publisher
// PeerConnection (media reset): the server reports afresh for the new
// track.
func (p *Publication) resumeLayers() {
	for _, l := range p.layers {
		l.paused.Store(false)
	}
}
