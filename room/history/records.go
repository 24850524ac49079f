package history

import "time"

// Party is a user with the display name it had in the call.
type Party struct {
	ID   string `json:"userId"`
	Name string `json:"name,omitempty"`
}

// Member is one membership of a user in a call (a user who left and
// joined again has two).
type Member struct {
	Party
	// Device is the device that joined (the one that answered); the
	// user's other devices saw the call answered elsewhere.
	Device      string     `json:"deviceId,omitempty"`
	JoinedAt    time.Time  `json:"joinedAt"`
	LeftAt      *time.Time `json:"leftAt,omitempty"`
	LeaveReason string     `json:"leaveReason,omitempty"`
}

// Invitee is one invitation of a user into a call and its outcome:
// waiting, accepted, declined, busy, canceled or timeout.
type Invitee struct {
	Party
	InvitationID string     `json:"invitationId"`
	Inviter      string     `json:"inviter"`
	InvitedAt    time.Time  `json:"invitedAt"`
	Outcome      string     `json:"outcome"`
	AnsweredAt   *time.Time `json:"answeredAt,omitempty"`
}

// Call is the full record of one call.
type Call struct {
	ID        string     `json:"recordId"`
	CallID    string     `json:"callId"`
	Type      string     `json:"type"`
	Initiator Party      `json:"initiator"`
	StartedAt time.Time  `json:"startedAt"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	EndReason string     `json:"endReason,omitempty"`
	Members   []Member   `json:"members"`
	Invitees  []Invitee  `json:"invitees"`
}

// Outcomes of a call from one user's point of view (Entry.Outcome).
const (
	OutcomeAnswered = "answered"
	OutcomeMissed   = "missed"
	OutcomeDeclined = "declined"
	OutcomeCanceled = "canceled"
	OutcomeBusy     = "busy"
	OutcomeNoAnswer = "noAnswer"
	OutcomeOngoing  = "ongoing"
)

// Directions of an Entry.
const (
	DirectionOutgoing = "outgoing"
	DirectionIncoming = "incoming"
)

// Entry is one call as one user saw it.
type Entry struct {
	RecordID  string    `json:"recordId"`
	CallID    string    `json:"callId"`
	Type      string    `json:"type"`
	Direction string    `json:"direction"`
	Outcome   string    `json:"outcome"`
	Peers     []Party   `json:"peers"`
	StartedAt time.Time `json:"startedAt"`
	// Duration is the user's own time in the call, in whole seconds.
	Duration int64 `json:"duration"`
	// Seen is false for a missed call the user has not marked seen.
	Seen bool `json:"seen"`
}

// EntryFor derives user's view of c: direction, outcome, the other people
// and the user's time in the call. seenUntil is the user's mark-seen time.
func EntryFor(c *Call, user string, seenUntil time.Time) Entry {
	e := Entry{RecordID: c.ID, CallID: c.CallID, Type: c.Type, StartedAt: c.StartedAt, Seen: true}
	var (
		member, invited, declined, busy, waiting bool
		inviteAt                                 time.Time
		mine                                     = map[string]bool{}
	)
	for _, m := range c.Members {
		if m.ID != user {
			continue
		}
		member = true
		end := time.Now()
		if m.LeftAt != nil {
			end = *m.LeftAt
		} else if c.EndedAt != nil {
			end = *c.EndedAt
		}
		if d := end.Sub(m.JoinedAt); d > 0 {
			e.Duration += int64(d / time.Second)
		}
	}
	for _, iv := range c.Invitees {
		if iv.ID == user {
			invited = true
			if iv.InvitedAt.After(inviteAt) {
				inviteAt = iv.InvitedAt
			}
			switch iv.Outcome {
			case "declined":
				declined = true
			case "busy":
				busy = true
			case "waiting":
				waiting = true
			}
		}
		if iv.Inviter == user {
			mine[iv.Outcome] = true
		}
	}
	e.Peers = peers(c, user)
	if c.Initiator.ID == user || !invited {
		e.Direction = DirectionOutgoing
		if !invited && c.Initiator.ID != user {
			e.Direction = DirectionIncoming // joined by call id
		}
		othersJoined := false
		for _, m := range c.Members {
			if m.ID != user {
				othersJoined = true
			}
		}
		switch {
		case othersJoined || mine["accepted"]:
			e.Outcome = OutcomeAnswered
		case c.EndedAt == nil:
			e.Outcome = OutcomeOngoing
		case mine["canceled"]:
			e.Outcome = OutcomeCanceled
		case mine["timeout"]:
			e.Outcome = OutcomeNoAnswer
		case mine["declined"]:
			e.Outcome = OutcomeDeclined
		case mine["busy"]:
			e.Outcome = OutcomeBusy
		default:
			e.Outcome = OutcomeNoAnswer
		}
		return e
	}
	e.Direction = DirectionIncoming
	switch {
	case member:
		e.Outcome = OutcomeAnswered
	case declined:
		e.Outcome = OutcomeDeclined
	case busy:
		e.Outcome = OutcomeBusy
	case waiting && c.EndedAt == nil:
		e.Outcome = OutcomeOngoing
	default:
		e.Outcome = OutcomeMissed
		e.Seen = !inviteAt.After(seenUntil)
	}
	return e
}

// peers lists everyone in c other than user, once each, initiator first.
func peers(c *Call, user string) []Party {
	seen := map[string]bool{user: true}
	var out []Party
	add := func(p Party) {
		if !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, p)
		}
	}
	add(c.Initiator)
	for _, m := range c.Members {
		add(m.Party)
	}
	for _, iv := range c.Invitees {
		add(iv.Party)
	}
	if out == nil {
		out = []Party{}
	}
	return out
}
