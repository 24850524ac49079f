package push

import (
	"bytes"
	"context"
	"crypto/rsa"
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

// fcmScope is the OAuth2 scope of the FCM HTTP v1 API.
const fcmScope = "https://www.googleapis.com/auth/firebase.messaging"

// FCMConfig configures the FCM provider.
type FCMConfig struct {
	// ServiceAccount is the Firebase project's service-account JSON.
	ServiceAccount []byte
	// Endpoint is the API's base URL (default https://fcm.googleapis.com).
	Endpoint string
	// TokenURL overrides the account's token_uri.
	TokenURL string
	// Client sends the requests (default: 15 s timeout).
	Client *http.Client
	// StopTTL is how long FCM keeps an undelivered stop push (default 5 min).
	StopTTL time.Duration
}

// FCM sends high-priority data messages through the FCM HTTP v1 API,
// authenticated with an OAuth2 access token that it obtains from the
// service account (JWT bearer grant, RFC 7523) and renews before it ends.
type FCM struct {
	cfg     FCMConfig
	project string
	email   string
	keyID   string
	key     *rsa.PrivateKey
	tokURL  string

	mu     sync.Mutex
	token  string    // guarded by mu
	expiry time.Time // guarded by mu
}

// serviceAccount is the part of a service-account JSON that FCM uses.
type serviceAccount struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// NewFCM reads the service account and returns the provider.
func NewFCM(cfg FCMConfig) (*FCM, error) {
	var sa serviceAccount
	if err := json.Unmarshal(cfg.ServiceAccount, &sa); err != nil {
		return nil, fmt.Errorf("push: fcm service account: %w", err)
	}
	if sa.ProjectID == "" || sa.ClientEmail == "" || sa.PrivateKey == "" {
		return nil, errors.New("push: fcm service account: project_id, client_email and private_key are required")
	}
	blk, _ := pem.Decode([]byte(sa.PrivateKey))
	if blk == nil {
		return nil, errors.New("push: fcm service account: private_key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		if k, err = x509.ParsePKCS1PrivateKey(blk.Bytes); err != nil {
			return nil, fmt.Errorf("push: fcm service account: private_key: %w", err)
		}
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("push: fcm service account: private_key is a %T, want RSA", k)
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://fcm.googleapis.com"
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.StopTTL <= 0 {
		cfg.StopTTL = 5 * time.Minute
	}
	tokURL := cfg.TokenURL
	if tokURL == "" {
		tokURL = sa.TokenURI
	}
	if tokURL == "" {
		tokURL = "https://oauth2.googleapis.com/token"
	}
	return &FCM{cfg: cfg, project: sa.ProjectID, email: sa.ClientEmail, keyID: sa.PrivateKeyID, key: rk, tokURL: tokURL}, nil
}

// Name implements Provider.
func (*FCM) Name() string { return "fcm" }

// Send implements Provider.
func (f *FCM) Send(ctx context.Context, r Registration, m Message) error {
	tok, err := f.accessToken(ctx)
	if err != nil {
		return err
	}
	ttl := f.cfg.StopTTL
	if m.Kind == KindRing {
		ttl = max(time.Until(m.ExpiresAt), 0)
	}
	body, err := json.Marshal(map[string]any{"message": map[string]any{
		"token": r.Target,
		"data":  messageData(m),
		"android": map[string]any{"priority": "high", "ttl": strconv.Itoa(int(ttl.Seconds())) + "s",
			"collapse_key": "call-" + m.CallID},
	}})
	if err != nil {
		return fmt.Errorf("push: fcm body: %v: %w", err, ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		f.cfg.Endpoint+"/v1/projects/"+url.PathEscape(f.project)+"/messages:send", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push: fcm request: %v: %w", err, ErrPermanent)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("push: fcm: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	status, code := fcmError(raw)
	switch {
	case code == "UNREGISTERED" || resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("push: fcm %d %s %s: %w", resp.StatusCode, status, code, ErrGone)
	case resp.StatusCode == http.StatusUnauthorized:
		f.mu.Lock()
		f.token = "" // renew on the retry
		f.mu.Unlock()
		return fmt.Errorf("push: fcm 401 %s", status)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("push: fcm %d %s %s", resp.StatusCode, status, code)
	default:
		return fmt.Errorf("push: fcm %d %s %s: %w", resp.StatusCode, status, code, ErrPermanent)
	}
}

// messageData renders m as FCM data (string values only).
func messageData(m Message) map[string]string {
	d := map[string]string{"kind": m.Kind, "callID": m.CallID}
	for k, v := range map[string]string{"invitationID": m.InvitationID, "callerID": m.CallerID, "callerName": m.CallerName,
		"type": m.Type, "customData": m.CustomData, "title": m.Title, "body": m.Body, "reason": m.Reason} {
		if v != "" {
			d[k] = v
		}
	}
	if !m.ExpiresAt.IsZero() {
		d["expiresAt"] = m.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	return d
}

// MessageFromData reverses messageData (fake FCM and tests).
func MessageFromData(d map[string]string) Message {
	m := Message{Kind: d["kind"], CallID: d["callID"], InvitationID: d["invitationID"], CallerID: d["callerID"],
		CallerName: d["callerName"], Type: d["type"], CustomData: d["customData"], Title: d["title"], Body: d["body"],
		Reason: d["reason"]}
	if t, err := time.Parse(time.RFC3339Nano, d["expiresAt"]); err == nil {
		m.ExpiresAt = t
	}
	return m
}

// fcmError reads a v1 error body: the status and the FCM error code.
func fcmError(raw []byte) (status, code string) {
	var e struct {
		Error struct {
			Status  string `json:"status"`
			Details []struct {
				ErrorCode string `json:"errorCode"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	for _, d := range e.Error.Details {
		if d.ErrorCode != "" {
			code = d.ErrorCode
		}
	}
	return e.Error.Status, code
}

// accessToken returns a valid OAuth2 access token, fetching a new one
// when the cached one has less than five minutes left.
func (f *FCM) accessToken(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if f.token != "" && now.Add(5*time.Minute).Before(f.expiry) {
		return f.token, nil
	}
	assertion, err := signJWT(map[string]any{"alg": "RS256", "typ": "JWT", "kid": f.keyID},
		map[string]any{"iss": f.email, "scope": fcmScope, "aud": f.tokURL, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}, f.key)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.tokURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("push: fcm token request: %v: %w", err, ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("push: fcm token: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("push: fcm token: %d %q", resp.StatusCode, raw)
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
			return "", fmt.Errorf("%w: %w", err, ErrPermanent) // bad credentials
		}
		return "", err
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(raw, &t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("push: fcm token: no access_token in %q", raw)
	}
	f.token, f.expiry = t.AccessToken, now.Add(time.Duration(t.ExpiresIn)*time.Second)
	return f.token, nil
}
