package pushtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ringsfu/ringsfu/signaling/push"
)

// APNsService is a fake APNs: HTTP/2 over TLS at /3/device/<token>,
// verifying the ES256 provider token against the key it generated, the
// apns-* headers and the payload.
type APNsService struct {
	srv    *httptest.Server
	key    *ecdsa.PrivateKey
	KeyID  string
	TeamID string
	Bundle string // the only bundle id it accepts

	mu   sync.Mutex
	got  []Received
	errs []string
	gone map[string]bool
}

// NewAPNsService starts the fake.
func NewAPNsService() *APNsService {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	s := &APNsService{key: key, KeyID: "ABC123DEFG", TeamID: "TEAM123456", Bundle: "com.example.app", gone: map[string]bool{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.EnableHTTP2 = true
	s.srv.StartTLS()
	return s
}

// Close stops the fake.
func (s *APNsService) Close() { s.srv.Close() }

// URL is the fake's base URL (https).
func (s *APNsService) URL() string { return s.srv.URL }

// Client returns an HTTP/2 client that trusts the fake's certificate.
func (s *APNsService) Client() *http.Client { return s.srv.Client() }

// CertPEM returns the fake's certificate, for a client's root pool.
func (s *APNsService) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// P8 returns the signing key as a .p8 file holds it.
func (s *APNsService) P8() []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(s.key)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// SetGone makes pushes to device token tok answer 410 Unregistered.
func (s *APNsService) SetGone(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone[tok] = true
}

// Received returns the pushes accepted so far.
func (s *APNsService) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Errors returns the refused requests' reasons.
func (s *APNsService) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

func (s *APNsService) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(code int, reason, why string) {
		s.errs = append(s.errs, reason+": "+why)
		w.Header().Set("apns-id", "fake")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"reason": reason})
	}
	dev, ok := strings.CutPrefix(r.URL.Path, "/3/device/")
	if !ok || r.Method != http.MethodPost || dev == "" {
		fail(http.StatusNotFound, "BadPath", r.Method+" "+r.URL.Path)
		return
	}
	if r.ProtoMajor != 2 {
		fail(http.StatusBadRequest, "BadProtocol", r.Proto)
		return
	}
	if why := s.checkToken(r.Header.Get("authorization")); why != "" {
		fail(http.StatusForbidden, "InvalidProviderToken", why)
		return
	}
	typ, topic, prio := r.Header.Get("apns-push-type"), r.Header.Get("apns-topic"), r.Header.Get("apns-priority")
	exp, err := strconv.ParseInt(r.Header.Get("apns-expiration"), 10, 64)
	switch {
	case err != nil || exp < time.Now().Add(-time.Minute).Unix():
		fail(http.StatusBadRequest, "BadExpirationDate", r.Header.Get("apns-expiration"))
		return
	case typ == "voip" && topic != s.Bundle+".voip", typ != "voip" && topic != s.Bundle:
		fail(http.StatusBadRequest, "TopicDisallowed", typ+" to "+topic)
		return
	case typ == "voip" && prio != "10", typ == "alert" && prio != "10", typ == "background" && prio != "5":
		fail(http.StatusBadRequest, "BadPriority", typ+" with priority "+prio)
		return
	case typ != "voip" && typ != "alert" && typ != "background":
		fail(http.StatusBadRequest, "InvalidPushType", typ)
		return
	}
	var p struct {
		APS     map[string]any `json:"aps"`
		Ringsfu push.Message   `json:"ringsfu"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.APS == nil || p.Ringsfu.CallID == "" {
		fail(http.StatusBadRequest, "PayloadEmpty", fmt.Sprint(err))
		return
	}
	if s.gone[dev] {
		w.WriteHeader(http.StatusGone)
		_ = json.NewEncoder(w).Encode(map[string]any{"reason": "Unregistered", "timestamp": time.Now().UnixMilli()})
		return
	}
	s.got = append(s.got, Received{To: dev, Message: p.Ringsfu, Header: r.Header.Clone(), Raw: body})
	w.Header().Set("apns-id", fmt.Sprint(len(s.got)))
	w.WriteHeader(http.StatusOK)
}

// checkToken verifies `bearer <ES256 JWT>` with kid and iss; it returns why
// it fails, or "".
func (s *APNsService) checkToken(h string) string {
	tok, ok := strings.CutPrefix(h, "bearer ")
	if !ok {
		return "authorization is not bearer"
	}
	hdr, c, err := push.VerifyES256(tok, &s.key.PublicKey)
	if err != nil {
		return err.Error()
	}
	iat, _ := c["iat"].(float64)
	switch {
	case hdr["alg"] != "ES256" || hdr["kid"] != s.KeyID:
		return "alg/kid"
	case c["iss"] != s.TeamID:
		return "iss is not the team"
	case time.Since(time.Unix(int64(iat), 0)) > time.Hour:
		return "token older than an hour"
	}
	return ""
}
