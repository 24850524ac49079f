package push

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// apnsTokenAge is how long one provider token is used: Apple accepts a
// token for an hour and refuses refreshing more than every 20 minutes.
const apnsTokenAge = 40 * time.Minute

// APNsConfig configures the APNs provider.
type APNsConfig struct {
	// Key is the token-signing key (.p8 file contents). Required.
	Key []byte
	// KeyID and TeamID name the key and the developer team. Required.
	KeyID, TeamID string
	// Endpoint is the base URL (default https://api.push.apple.com; the
	// sandbox is https://api.sandbox.push.apple.com).
	Endpoint string
	// Topic is the bundle id for registrations without an app id.
	Topic string
	// Client sends the requests over HTTP/2 (default: 15 s timeout).
	Client *http.Client
	// StopTTL is how long APNs keeps an undelivered stop push (default
	// 5 min).
	StopTTL time.Duration
}

// APNs sends pushes over HTTP/2 with token-based authentication: VoIP
// (PushKit) pushes to `<bundle>.voip` for VoIP registrations, alert
// pushes otherwise.
type APNs struct {
	cfg APNsConfig
	key *ecdsa.PrivateKey

	mu    sync.Mutex
	token string    // guarded by mu
	made  time.Time // guarded by mu
}

// NewAPNs parses the key and returns the provider.
func NewAPNs(cfg APNsConfig) (*APNs, error) {
	if cfg.KeyID == "" || cfg.TeamID == "" {
		return nil, errors.New("push: apns needs a key id and a team id")
	}
	blk, _ := pem.Decode(cfg.Key)
	if blk == nil {
		return nil, errors.New("push: apns key is not PEM (.p8)")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("push: apns key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("push: apns key is not a P-256 ECDSA key")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://api.push.apple.com"
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true}}
	}
	if cfg.StopTTL <= 0 {
		cfg.StopTTL = 5 * time.Minute
	}
	return &APNs{cfg: cfg, key: ek}, nil
}

// Name implements Provider.
func (*APNs) Name() string { return "apns" }

// providerToken returns the current ES256 provider token, making a new
// one when it is older than apnsTokenAge (or drop is set).
func (a *APNs) providerToken(now time.Time, drop bool) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if drop {
		a.token = ""
	}
	if a.token != "" && now.Sub(a.made) < apnsTokenAge {
		return a.token, nil
	}
	tok, err := signJWT(map[string]any{"alg": "ES256", "kid": a.cfg.KeyID},
		map[string]any{"iss": a.cfg.TeamID, "iat": now.Unix()}, a.key)
	if err != nil {
		return "", err
	}
	a.token, a.made = tok, now
	return tok, nil
}

// Send implements Provider.
func (a *APNs) Send(ctx context.Context, r Registration, m Message) error {
	topic := r.AppID
	if topic == "" {
		topic = a.cfg.Topic
	}
	if topic == "" {
		return fmt.Errorf("push: apns: registration %s has no app id and there is no default topic: %w", r.ID, ErrPermanent)
	}
	pushType, priority := "alert", "10"
	aps := map[string]any{}
	switch {
	case r.VoIP:
		// PushKit: every VoIP push, stops included, must be reported to
		// CallKit by the app (README "Push notifications").
		pushType, topic = "voip", topic+".voip"
	case m.Kind == KindRing:
		aps["alert"] = map[string]string{"title": m.Title, "body": m.Body}
		aps["sound"] = "default"
		aps["interruption-level"] = "time-sensitive"
	default:
		pushType, priority = "background", "5"
		aps["content-available"] = 1
	}
	body, err := json.Marshal(map[string]any{"aps": aps, "ringsfu": m})
	if err != nil {
		return fmt.Errorf("push: apns payload: %v: %w", err, ErrPermanent)
	}
	expires := time.Now().Add(a.cfg.StopTTL)
	if m.Kind == KindRing {
		expires = m.ExpiresAt
	}
	err = a.post(ctx, r.Target, topic, pushType, priority, expires, m.CallID, body, false)
	if errors.Is(err, errExpiredToken) {
		err = a.post(ctx, r.Target, topic, pushType, priority, expires, m.CallID, body, true)
	}
	return err
}

// errExpiredToken is a 403 ExpiredProviderToken: retried once at once
// with a new token.
var errExpiredToken = errors.New("push: apns provider token expired")

// post sends one notification.
func (a *APNs) post(ctx context.Context, device, topic, pushType, priority string, expires time.Time, callID string, body []byte, newToken bool) error {
	tok, err := a.providerToken(time.Now(), newToken)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.Endpoint+"/3/device/"+device, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push: apns request: %v: %w", err, ErrPermanent)
	}
	h := req.Header
	h.Set("authorization", "bearer "+tok)
	h.Set("apns-push-type", pushType)
	h.Set("apns-topic", topic)
	h.Set("apns-priority", priority)
	h.Set("apns-expiration", strconv.FormatInt(max(expires.Unix(), 0), 10))
	if pushType != "voip" && len(callID) <= 64 {
		h.Set("apns-collapse-id", callID)
	}
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("push: apns: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(raw, &e)
	switch {
	case resp.StatusCode == http.StatusGone || e.Reason == "Unregistered":
		return fmt.Errorf("push: apns %d %s: %w", resp.StatusCode, e.Reason, ErrGone)
	case resp.StatusCode == http.StatusForbidden && e.Reason == "ExpiredProviderToken" && !newToken:
		return errExpiredToken
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("push: apns %d %s", resp.StatusCode, e.Reason)
	default:
		return fmt.Errorf("push: apns %d %s: %w", resp.StatusCode, e.Reason, ErrPermanent)
	}
}
