package push

import (
	"context"
	"errors"
	"time"
)

// Kinds of push.
const (
	KindRing = "ring"
	KindStop = "stop"
)

// Registration is one push target of one device.
type Registration struct {
	ID       string
	User     string
	Device   string
	Provider string
	// Target is the APNs or FCM token, or the Web Push subscription JSON.
	Target string
	VoIP   bool
	AppID  string
	Locale string
}

// Message is what a push carries: everything an incoming-call screen
// needs, or what stopping it needs.
type Message struct {
	// Kind is KindRing or KindStop.
	Kind         string    `json:"kind"`
	CallID       string    `json:"callID"`
	InvitationID string    `json:"invitationID,omitempty"`
	CallerID     string    `json:"callerID,omitempty"`
	CallerName   string    `json:"callerName,omitempty"`
	Type         string    `json:"type,omitempty"`
	CustomData   string    `json:"customData,omitempty"`
	Title        string    `json:"title,omitempty"`
	Body         string    `json:"body,omitempty"`
	ExpiresAt    time.Time `json:"expiresAt,omitempty"`
	// Reason of a stop: canceled, timeout, answeredElsewhere,
	// declinedElsewhere.
	Reason string `json:"reason,omitempty"`
}

// Stop reasons.
const (
	StopCanceled          = "canceled"
	StopTimeout           = "timeout"
	StopAnsweredElsewhere = "answeredElsewhere"
	StopDeclinedElsewhere = "declinedElsewhere"
)

// Provider sends pushes through one push service.
type Provider interface {
	// Name is the provider's registration name: apns, fcm or webpush.
	Name() string
	// Send delivers m to r. An error wrapping ErrGone means the target no
	// longer exists; one wrapping ErrPermanent is not retried; anything
	// else is.
	Send(ctx context.Context, r Registration, m Message) error
}

// Store holds the registrations.
type Store interface {
	// Registrations returns user's registrations.
	Registrations(ctx context.Context, user string) ([]Registration, error)
	// Remove deletes user's registration id.
	Remove(ctx context.Context, user, id string) error
}

var (
	// ErrGone means the provider reported the target unregistered or
	// expired; the registration is removed.
	ErrGone = errors.New("push target gone")
	// ErrPermanent means retrying cannot help (bad request, bad
	// credentials).
	ErrPermanent = errors.New("push refused")
)
