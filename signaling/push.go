package signaling

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// Message types of push registration (PROTOCOL.md §9.6).
const (
	TypeRegisterPush   = "registerPush"
	TypeUnregisterPush = "unregisterPush"
)

// Push providers.
const (
	PushAPNs    = "apns"
	PushFCM     = "fcm"
	PushWebPush = "webpush"
)

// Push registration limits.
const (
	maxPushToken    = 4096
	maxPushEndpoint = 2048
	maxPushAppID    = 255
	maxPushLocale   = 35
	pushTimeout     = 5 * time.Second
)

// PushTarget is what a device registers: where and how to push to it. For
// apns and fcm Target is the token; for webpush it is the subscription's
// JSON ({"endpoint","keys":{"p256dh","auth"}}).
type PushTarget struct {
	Provider string
	Target   string
	VoIP     bool
	AppID    string
	Locale   string
}

// PushRegistration is one stored registration as the server API shows it
// (§9.6). The token or subscription itself is never shown.
type PushRegistration struct {
	RegistrationID string `json:"registrationID"`
	UserID         string `json:"userID"`
	DeviceID       string `json:"deviceID"`
	Provider       string `json:"provider"`
	VoIP           bool   `json:"voip"`
	AppID          string `json:"appID,omitempty"`
	Locale         string `json:"locale,omitempty"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
}

// PushRegistry stores push registrations durably (room/history's database,
// wired by cmd). nil disables the push requests (`unavailable`).
type PushRegistry interface {
	// Register stores t for user's device and returns the registration.
	Register(ctx context.Context, user room.UserID, device room.DeviceID, t PushTarget) (PushRegistration, error)
	// Unregister removes user's registration id, or every registration of
	// device when id is empty, and returns how many it removed.
	Unregister(ctx context.Context, user room.UserID, device room.DeviceID, id string) (int, error)
	// List returns user's registrations.
	List(ctx context.Context, user room.UserID) ([]PushRegistration, error)
}

// PushSubscription is a Web Push subscription as PushSubscription.toJSON()
// gives it in a browser.
type PushSubscription struct {
	Endpoint       string  `json:"endpoint"`
	ExpirationTime *int64  `json:"expirationTime,omitempty"`
	Keys           PushKey `json:"keys"`
}

// PushKey holds a subscription's keys, base64url without padding.
type PushKey struct {
	P256DH string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// RegisterPushRequest registers a push target of the signed-in device
// (§9.6).
type RegisterPushRequest struct {
	Provider     string            `json:"provider"`
	Token        string            `json:"token,omitempty"`
	Subscription *PushSubscription `json:"subscription,omitempty"`
	VoIP         bool              `json:"voip,omitempty"`
	AppID        string            `json:"appID,omitempty"`
	Locale       string            `json:"locale,omitempty"`
}

// RegisterPushResult names the stored registration.
type RegisterPushResult struct {
	RegistrationID string `json:"registrationID"`
}

// UnregisterPushRequest removes one registration of the user, or every
// registration of the signed-in device when RegistrationID is empty.
type UnregisterPushRequest struct {
	RegistrationID string `json:"registrationID,omitempty"`
}

// UnregisterPushResult counts the registrations removed.
type UnregisterPushResult struct {
	Removed int `json:"removed"`
}

func (r *RegisterPushRequest) validate() error {
	if len(r.AppID) > maxPushAppID {
		return badRequest("appID: over %d bytes", maxPushAppID)
	}
	if len(r.Locale) > maxPushLocale || strings.ContainsAny(r.Locale, " \t\r\n\"") {
		return badRequest("locale: not a language tag")
	}
	if r.VoIP && r.Provider != PushAPNs {
		return badRequest("voip: only for apns")
	}
	switch r.Provider {
	case PushAPNs, PushFCM:
		if r.Subscription != nil {
			return badRequest("subscription: only for webpush")
		}
		return validPushToken(r.Provider, r.Token)
	case PushWebPush:
		if r.Token != "" {
			return badRequest("token: not for webpush (send subscription)")
		}
		if r.Subscription == nil {
			return badRequest("subscription: required for webpush")
		}
		return r.Subscription.validate()
	default:
		return badRequest("provider: must be apns, fcm or webpush")
	}
}

// validPushToken checks an APNs (hex) or FCM token.
func validPushToken(provider, tok string) error {
	if tok == "" || len(tok) > maxPushToken {
		return badRequest("token: 1..%d bytes", maxPushToken)
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if provider == PushAPNs && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return badRequest("token: an APNs token is hex")
		}
		if c <= ' ' || c > '~' {
			return badRequest("token: printable ASCII only")
		}
	}
	return nil
}

// validate checks a Web Push subscription: an https endpoint (http only on
// loopback, for tests), a P-256 point and a 16-byte auth secret.
func (p *PushSubscription) validate() error {
	if p.Endpoint == "" || len(p.Endpoint) > maxPushEndpoint {
		return badRequest("subscription.endpoint: 1..%d bytes", maxPushEndpoint)
	}
	u, err := url.Parse(p.Endpoint)
	if err != nil || u.Host == "" {
		return badRequest("subscription.endpoint: not a URL")
	}
	loopback := u.Hostname() == "127.0.0.1" || u.Hostname() == "::1" || u.Hostname() == "localhost"
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return badRequest("subscription.endpoint: must be https")
	}
	if k, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p.Keys.P256DH, "=")); err != nil || len(k) != 65 || k[0] != 4 {
		return badRequest("subscription.keys.p256dh: not an uncompressed P-256 point in base64url")
	}
	if k, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p.Keys.Auth, "=")); err != nil || len(k) != 16 {
		return badRequest("subscription.keys.auth: not 16 bytes in base64url")
	}
	return nil
}

func (r *UnregisterPushRequest) validate() error {
	if r.RegistrationID != "" && !validID(r.RegistrationID, maxIDLen) {
		return badRequest("registrationID: not a valid id")
	}
	return nil
}

// target converts a validated request to what the registry stores; a
// subscription is stored in one canonical JSON form so that the same
// subscription always gets the same registration id.
func (r *RegisterPushRequest) target() PushTarget {
	t := PushTarget{Provider: r.Provider, Target: r.Token, VoIP: r.VoIP, AppID: r.AppID, Locale: r.Locale}
	if r.Subscription != nil {
		sub := PushSubscription{Endpoint: r.Subscription.Endpoint, Keys: PushKey{
			P256DH: strings.TrimRight(r.Subscription.Keys.P256DH, "="), Auth: strings.TrimRight(r.Subscription.Keys.Auth, "=")}}
		b, _ := json.Marshal(sub)
		t.Target = string(b)
	}
	return t
}

// pushRequest answers the push registration requests from the shared
// database; it reports whether v was one.
func (s *Server) pushRequest(c *conn, id *string, v validator) bool {
	var res any
	var err error
	switch r := v.(type) {
	case *RegisterPushRequest:
		res, err = s.registerPush(c.sess.caller(), r)
	case *UnregisterPushRequest:
		res, err = s.unregisterPush(c.sess.caller(), r)
	default:
		return false
	}
	if err != nil {
		c.sendErr(id, err)
		return true
	}
	c.sendResult(id, res)
	return true
}

// pushRegistry returns the configured registry or an unavailable error.
func (s *Server) pushRegistry() (PushRegistry, error) {
	if s.cfg.Push == nil {
		return nil, unavailable("push registration is not enabled on this server")
	}
	return s.cfg.Push, nil
}

// registerPush stores the caller device's push target.
func (s *Server) registerPush(c room.Caller, r *RegisterPushRequest) (RegisterPushResult, error) {
	reg, err := s.pushRegistry()
	if err != nil {
		return RegisterPushResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	defer cancel()
	got, err := reg.Register(ctx, c.User, c.Device, r.target())
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", string(c.User)).Msg("push registration failed")
		return RegisterPushResult{}, unavailable("push registration is unavailable, try again later")
	}
	return RegisterPushResult{RegistrationID: got.RegistrationID}, nil
}

// unregisterPush removes one registration or the caller device's.
func (s *Server) unregisterPush(c room.Caller, r *UnregisterPushRequest) (UnregisterPushResult, error) {
	reg, err := s.pushRegistry()
	if err != nil {
		return UnregisterPushResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	defer cancel()
	n, err := reg.Unregister(ctx, c.User, c.Device, r.RegistrationID)
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", string(c.User)).Msg("push unregistration failed")
		return UnregisterPushResult{}, unavailable("push registration is unavailable, try again later")
	}
	return UnregisterPushResult{Removed: n}, nil
}

// String describes a target for logs without its token.
func (t PushTarget) String() string {
	return fmt.Sprintf("%s(voip=%v app=%q)", t.Provider, t.VoIP, t.AppID)
}
