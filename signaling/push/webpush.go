package push

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// vapidTTL is how long a VAPID JWT is valid (RFC 8292 allows up to 24 h);
// one is reused per push service origin for half of it.
const vapidTTL = 12 * time.Hour

// WebPushConfig configures the Web Push provider.
type WebPushConfig struct {
	// Key is the VAPID key pair (P-256). Required.
	Key *ecdsa.PrivateKey
	// Subject is the VAPID contact: a mailto: or https: URL. Required.
	Subject string
	// Client sends the requests (default: a client with a 15 s timeout).
	Client *http.Client
	// StopTTL is how long a push service keeps an undelivered stop push
	// (default 5 min). A ring push is kept until its ring deadline.
	StopTTL time.Duration
}

// WebPush sends RFC 8030 pushes with VAPID (RFC 8292) and aes128gcm
// payload encryption (RFC 8291). The endpoint URL is the subscription's.
type WebPush struct {
	cfg WebPushConfig
	pub string // base64url uncompressed public key

	mu   sync.Mutex
	jwts map[string]vapidJWT // by audience; guarded by mu
}

// vapidJWT is a signed token and when to stop reusing it.
type vapidJWT struct {
	token string
	renew time.Time
}

// NewWebPush returns the provider.
func NewWebPush(cfg WebPushConfig) (*WebPush, error) {
	if cfg.Key == nil || cfg.Key.Curve != elliptic.P256() {
		return nil, errors.New("push: web push needs a P-256 VAPID key")
	}
	if !strings.HasPrefix(cfg.Subject, "mailto:") && !strings.HasPrefix(cfg.Subject, "https://") {
		return nil, errors.New("push: the VAPID subject must be a mailto: or https: URL")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.StopTTL <= 0 {
		cfg.StopTTL = 5 * time.Minute
	}
	pk, err := cfg.Key.PublicKey.ECDH()
	if err != nil {
		return nil, fmt.Errorf("push: VAPID key: %w", err)
	}
	return &WebPush{cfg: cfg, pub: b64.EncodeToString(pk.Bytes()), jwts: map[string]vapidJWT{}}, nil
}

// Name implements Provider.
func (*WebPush) Name() string { return "webpush" }

// PublicKey returns the VAPID public key as browsers take it for
// PushManager.subscribe's applicationServerKey (base64url, uncompressed).
func (w *WebPush) PublicKey() string { return w.pub }

// ParseVAPIDKey reads a VAPID private key: a PEM block (SEC 1 "EC PRIVATE
// KEY" or PKCS #8), or the base64url 32-byte private scalar that web-push
// tools print.
func ParseVAPIDKey(s string) (*ecdsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		if k, err := x509.ParseECPrivateKey(blk.Bytes); err == nil {
			return k, nil
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("push: VAPID key: %w", err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("push: VAPID key is a %T, want ECDSA P-256", k)
		}
		return ek, nil
	}
	d, err := b64.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("push: VAPID key: not PEM nor base64url: %w", err)
	}
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		return nil, fmt.Errorf("push: VAPID key: %w", err)
	}
	return k, nil
}

// webSubscription is the stored subscription JSON.
type webSubscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256DH string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// Send implements Provider.
func (w *WebPush) Send(ctx context.Context, r Registration, m Message) error {
	var sub webSubscription
	if err := json.Unmarshal([]byte(r.Target), &sub); err != nil {
		return fmt.Errorf("push: web push subscription: %v: %w", err, ErrPermanent)
	}
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("push: web push endpoint %q: %w", sub.Endpoint, ErrPermanent)
	}
	p256dh, err1 := b64.DecodeString(sub.Keys.P256DH)
	auth, err2 := b64.DecodeString(sub.Keys.Auth)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("push: web push keys: %w", ErrPermanent)
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("push: web push payload: %v: %w", err, ErrPermanent)
	}
	body, err := encryptWebPush(payload, p256dh, auth)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	jwt, err := w.vapid(u.Scheme+"://"+u.Host, time.Now())
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push: web push request: %v: %w", err, ErrPermanent)
	}
	ttl := w.cfg.StopTTL
	if m.Kind == KindRing {
		ttl = max(time.Until(m.ExpiresAt), 0)
	}
	h := req.Header
	h.Set("TTL", strconv.Itoa(int(ttl.Seconds())))
	h.Set("Urgency", "high")
	// One topic per call: a stop replaces a ring the device has not
	// fetched yet.
	sum := sha256.Sum256([]byte(m.CallID))
	h.Set("Topic", b64.EncodeToString(sum[:16])[:22])
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Encoding", "aes128gcm")
	h.Set("Authorization", "vapid t="+jwt+", k="+w.pub)
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("push: web push: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return fmt.Errorf("push: web push %d %q: %w", resp.StatusCode, msg, ErrGone)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("push: web push %d %q", resp.StatusCode, msg)
	default:
		return fmt.Errorf("push: web push %d %q: %w", resp.StatusCode, msg, ErrPermanent)
	}
}

// vapid returns a VAPID JWT for the push service at aud.
func (w *WebPush) vapid(aud string, now time.Time) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if j, ok := w.jwts[aud]; ok && now.Before(j.renew) {
		return j.token, nil
	}
	tok, err := signJWT(map[string]any{"typ": "JWT", "alg": "ES256"},
		map[string]any{"aud": aud, "exp": now.Add(vapidTTL).Unix(), "sub": w.cfg.Subject}, w.cfg.Key)
	if err != nil {
		return "", err
	}
	if len(w.jwts) > 1000 {
		clear(w.jwts)
	}
	w.jwts[aud] = vapidJWT{token: tok, renew: now.Add(vapidTTL / 2)}
	return tok, nil
}
