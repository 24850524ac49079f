package sfu

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pion/sdp/v3"
)

// offerInfo is what Publish needs from a publisher offer.
type offerInfo struct {
	mids   map[string]string   // mid → media kind ("audio", "video", …)
	layers map[string][]string // mid → simulcast rids, lowest first
}

// parseOffer extracts mids and simulcast layers from a publisher offer.
func parseOffer(raw string) (offerInfo, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return offerInfo{}, fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	info := offerInfo{mids: map[string]string{}, layers: map[string][]string{}}
	for _, m := range sd.MediaDescriptions {
		mid, ok := m.Attribute(sdp.AttrKeyMID)
		if !ok {
			continue
		}
		info.mids[mid] = m.MediaName.Media
		if rids := simulcastRIDs(m); len(rids) > 1 {
			info.layers[mid] = rids
		}
	}
	return info, nil
}

// simulcastRIDs returns the rids a media section sends, ordered from the
// lowest layer to the highest and capped at maxLayers.
//
// RFC 8853 §5.1: "a=simulcast:send 1;2;3" lists the simulcast streams
// separated by ';', alternatives separated by ',', a '~' prefix marking a
// paused stream. Without a=simulcast the a=rid lines (RFC 8851 §4) with
// direction "send" are used in their order. Known rids are ordered q < h <
// f; others keep their position after those.
func simulcastRIDs(m *sdp.MediaDescription) []string {
	var rids []string
	if v, ok := m.Attribute("simulcast"); ok {
		f := strings.Fields(v)
		for i := 0; i+1 < len(f); i += 2 {
			if f[i] != "send" {
				continue
			}
			for _, stream := range strings.Split(f[i+1], ";") {
				alt := strings.Split(stream, ",")[0]
				alt = strings.TrimPrefix(alt, "~")
				if alt != "" {
					rids = append(rids, alt)
				}
			}
		}
	}
	if len(rids) == 0 {
		for _, a := range m.Attributes {
			if a.Key != "rid" {
				continue
			}
			if f := strings.Fields(a.Value); len(f) >= 2 && f[1] == "send" {
				rids = append(rids, f[0])
			}
		}
	}
	order := func(rid string) int {
		switch rid {
		case RIDLow:
			return 0
		case RIDMedium:
			return 1
		case RIDHigh:
			return 2
		default:
			return 3
		}
	}
	// A rid names one RTP stream of the section (RFC 8851 §4): a repeated
	// one would claim a second layer slot that no stream ever fills, and so
	// would one that is not a valid rid-id.
	seen := make(map[string]bool, len(rids))
	unique := rids[:0]
	for _, r := range rids {
		if validRID(r) && !seen[r] {
			seen[r] = true
			unique = append(unique, r)
		}
	}
	rids = unique
	sort.SliceStable(rids, func(i, j int) bool { return order(rids[i]) < order(rids[j]) })
	if len(rids) > maxLayers {
		rids = rids[:maxLayers]
	}
	return rids
}

// validRID reports whether r is an RFC 8851 §10 rid-id: 1*(ALPHA / DIGIT
// / "-" / "_"), at most 255 bytes (the longest RtpStreamId header
// extension, RFC 8852 §3.1).
func validRID(r string) bool {
	if r == "" || len(r) > 255 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ridRank returns the quality rank of layer slot i of n layers named rids.
// When every rid is q, h or f they have the ranks 0, 1 and 2; otherwise
// layers rank by position, counted from the top (so that the highest layer
// is always "high"), which keeps ranks increasing with the slot when known
// and unknown names are mixed.
func ridRank(rids []string, i int) int {
	if len(rids) == 0 {
		return 2 // a single, non-simulcast layer serves every quality
	}
	known := true
	for _, r := range rids {
		if r != RIDLow && r != RIDMedium && r != RIDHigh {
			known = false
			break
		}
	}
	if known {
		switch rids[i] {
		case RIDLow:
			return 0
		case RIDMedium:
			return 1
		default:
			return 2
		}
	}
	return maxLayers - len(rids) + i
}

// checkAnswerMatches refuses an answer whose media sections do not match
// the offer's one for one, in order, by mid (RFC 8829 §5.3.1). Pion would
// apply such an answer and leave the PC unusable.
func checkAnswerMatches(offer, answer string) error {
	var o, a sdp.SessionDescription
	if err := a.UnmarshalString(answer); err != nil {
		return fmt.Errorf("%w: answer: %w", ErrInvalidSDP, err)
	}
	if err := o.UnmarshalString(offer); err != nil {
		return fmt.Errorf("sfu: own offer: %w", err)
	}
	if len(a.MediaDescriptions) != len(o.MediaDescriptions) {
		return fmt.Errorf("%w: answer has %d media sections, the offer %d", ErrInvalidSDP,
			len(a.MediaDescriptions), len(o.MediaDescriptions))
	}
	for i, om := range o.MediaDescriptions {
		am := a.MediaDescriptions[i]
		omid, _ := om.Attribute(sdp.AttrKeyMID)
		amid, _ := am.Attribute(sdp.AttrKeyMID)
		if omid != amid || om.MediaName.Media != am.MediaName.Media {
			return fmt.Errorf("%w: answer media section %d is %s mid %q, the offer's %s mid %q", ErrInvalidSDP,
				i, am.MediaName.Media, amid, om.MediaName.Media, omid)
		}
	}
	return nil
}
