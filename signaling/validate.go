package signaling

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pion/ice/v4"
)

// Limits from PROTOCOL.md §2.
const (
	maxIDLen         = 64
	maxCallIDLen     = 128
	maxNameRunes     = 128
	maxCustomData    = 4096
	maxInvitees      = 9
	maxSDPBytes      = MaxMessageBytes
	defaultRingSecs  = 60
	minRingSecs      = 1
	maxRingSecs      = 600
	maxEnvelopeIDLen = 64
)

// validator is implemented by every request body: it checks presence, types
// already checked by decoding, ranges and identifier syntax, before any state
// is touched (PROTOCOL.md §8 rule 3).
type validator interface {
	validate() error
}

// idChar reports whether c is allowed in identifiers: [A-Za-z0-9_.@-].
func idChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '@' || c == '-'
}

// validID checks an identifier of at most max characters.
func validID(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !idChar(s[i]) {
			return false
		}
	}
	return true
}

// checkUserID validates a user id field.
func checkUserID(field, s string) error {
	if !validID(s, maxIDLen) {
		return badRequest("%s: invalid user id", field)
	}
	return nil
}

// checkCallID validates a required call id field.
func checkCallID(s string) error {
	if !validID(s, maxCallIDLen) {
		return badRequest("callID: invalid or missing call id")
	}
	return nil
}

// checkOptionalCallID validates a call id that may be empty.
func checkOptionalCallID(s string) error {
	if s == "" {
		return nil
	}
	return checkCallID(s)
}

// validName reports whether a display name is at most 128 code points of
// valid UTF-8 with no control characters: C0/C1 controls, line and paragraph
// separators (which break a line like a newline) and the bidi controls
// (which reorder the text around them) are refused. Other format characters
// stay allowed: the zero-width joiner and non-joiner are part of ordinary
// names (emoji sequences such as 👩‍💻, Persian and Indic scripts), and code
// points newer than Go's Unicode tables are not refused for being unknown.
func validName(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameRunes {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control) {
			return false
		}
	}
	return true
}

// checkCustomData enforces the 4,096-byte limit.
func checkCustomData(s string) error {
	if len(s) > maxCustomData {
		return tooLarge("customData: over %d bytes", maxCustomData)
	}
	return nil
}

// checkCallType validates a required call type.
func checkCallType(s string) error {
	if s != "video" && s != "voice" {
		return badRequest("type: must be \"video\" or \"voice\"")
	}
	return nil
}

func (r *pingRequest) validate() error { return nil }

func (r *HelloRequest) validate() error {
	if r.Token == "" {
		return badRequest("token: missing")
	}
	if r.Protocol == nil {
		return badRequest("protocol: missing")
	}
	if !validID(r.DeviceID, maxIDLen) {
		return badRequest("deviceId: invalid or missing")
	}
	if r.Resume != "" && len(r.Resume) > maxIDLen {
		return badRequest("resume: too long")
	}
	return nil
}

func (r *InviteRequest) validate() error {
	if r.Invitees == nil {
		return badRequest("invitees: missing")
	}
	if len(r.Invitees) < 1 || len(r.Invitees) > maxInvitees {
		return badRequest("invitees: 1 to %d users", maxInvitees)
	}
	seen := make(map[string]bool, len(r.Invitees))
	for _, u := range r.Invitees {
		if err := checkUserID("invitees", u.ID); err != nil {
			return err
		}
		if !validName(u.Name) {
			return badRequest("invitees: invalid name for %s", u.ID)
		}
		if seen[u.ID] {
			return badRequest("invitees: %s listed twice", u.ID)
		}
		seen[u.ID] = true
	}
	if err := checkCallType(r.Type); err != nil {
		return err
	}
	if err := checkOptionalCallID(r.CallID); err != nil {
		return err
	}
	if r.TimeoutSeconds != nil && (*r.TimeoutSeconds < minRingSecs || *r.TimeoutSeconds > maxRingSecs) {
		return badRequest("timeoutSeconds: must be %d to %d", minRingSecs, maxRingSecs)
	}
	if r.Notification != nil {
		n := r.Notification
		if len(n.Title)+len(n.Message)+len(n.ResourceID) > maxCustomData {
			return tooLarge("notification: over %d bytes", maxCustomData)
		}
	}
	return checkCustomData(r.CustomData)
}

func (r *CancelRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if r.UserIDs != nil {
		if len(*r.UserIDs) == 0 {
			return badRequest("userIDs: empty")
		}
		if len(*r.UserIDs) > 64 {
			return badRequest("userIDs: too many")
		}
		for _, id := range *r.UserIDs {
			if err := checkUserID("userIDs", id); err != nil {
				return err
			}
		}
	}
	return checkCustomData(r.CustomData)
}

func (r *AcceptRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	return checkCustomData(r.CustomData)
}

func (r *RejectRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	switch r.Reason {
	case "", "declined", "busy":
	default:
		return badRequest("reason: must be \"declined\" or \"busy\"")
	}
	return checkCustomData(r.CustomData)
}

func (r *JoinRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if r.Type != "" {
		return checkCallType(r.Type)
	}
	return nil
}

func (r *LeaveRequest) validate() error { return checkCallID(r.CallID) }

func (r *MediaResetRequest) validate() error { return checkCallID(r.CallID) }

func (r *RemoveRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if len(r.UserIDs) == 0 {
		return badRequest("userIDs: missing or empty")
	}
	if len(r.UserIDs) > 64 {
		return badRequest("userIDs: too many")
	}
	for _, id := range r.UserIDs {
		if err := checkUserID("userIDs", id); err != nil {
			return err
		}
	}
	return nil
}

// validAudioRoute reports whether s is one of the contract's audio routes.
func validAudioRoute(s string) bool {
	switch s {
	case "speaker", "earpiece", "headphone", "bluetooth", "usb", "airplay":
		return true
	}
	return false
}

func (r *SetDeviceRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if r.Camera == nil && r.Microphone == nil && r.AudioRoute == nil {
		return badRequest("setDevice: at least one of camera, microphone, audioRoute")
	}
	if r.AudioRoute != nil && !validAudioRoute(*r.AudioRoute) {
		return badRequest("audioRoute: unknown route")
	}
	return nil
}

func (r *SetRemoteDeviceRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if err := checkUserID("userID", r.UserID); err != nil {
		return err
	}
	if r.Camera == nil && r.Microphone == nil {
		return badRequest("setRemoteDevice: at least one of camera, microphone")
	}
	return nil
}

// checkTarget validates a PeerConnection target.
func checkTarget(s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return badRequest("target: must be one of %v", allowed)
}

func (r *OfferRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if err := checkTarget(r.Target, "publisher"); err != nil {
		return err
	}
	if r.SDP == "" {
		return badRequest("sdp: missing")
	}
	for _, t := range r.Tracks {
		if t.Mid == "" || len(t.Mid) > maxIDLen {
			return badRequest("tracks: invalid mid")
		}
		switch t.Source {
		case "camera", "microphone", "screen":
		default:
			return badRequest("tracks: unknown source %q", t.Source)
		}
	}
	return nil
}

func (r *AnswerRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if err := checkTarget(r.Target, "subscriber"); err != nil {
		return err
	}
	if r.SDP == "" {
		return badRequest("sdp: missing")
	}
	return nil
}

func (r *TrickleRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if err := checkTarget(r.Target, "publisher", "subscriber"); err != nil {
		return err
	}
	return checkCandidate(r.Candidate)
}

// checkCandidate parses a trickled candidate line (RFC 8839 §5.1, with or
// without its "candidate:" prefix) as the PeerConnection would, so that an
// unparsable one is bad_request before it reaches a connection. A missing
// or empty candidate is the end of candidates.
func checkCandidate(c *Candidate) error {
	if c == nil || c.Candidate == "" {
		return nil
	}
	if _, err := ice.UnmarshalCandidate(strings.TrimPrefix(c.Candidate, "candidate:")); err != nil {
		return badRequest("candidate: %v", err)
	}
	return nil
}

func (r *SubscribeRequest) validate() error {
	if err := checkCallID(r.CallID); err != nil {
		return err
	}
	if !validID(r.TrackID, maxIDLen) {
		return badRequest("trackID: invalid or missing")
	}
	switch r.Quality {
	case "low", "medium", "high", "off":
	default:
		return badRequest("quality: must be low, medium, high or off")
	}
	return nil
}
