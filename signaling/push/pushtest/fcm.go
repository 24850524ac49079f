package pushtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/ringsfu/ringsfu/signaling/push"
)

// FCMService is a fake FCM: an OAuth2 token endpoint at /token that
// verifies the service account's JWT assertion, and the HTTP v1 send
// endpoint that verifies the bearer token and the message.
type FCMService struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	Project string
	Email   string

	mu      sync.Mutex
	tokens  map[string]bool
	grants  int
	got     []Received
	errs    []string
	gone    map[string]bool // device tokens answered UNREGISTERED
	failing int             // next sends answered 503
}

// NewFCMService starts the fake with a fresh service-account key.
func NewFCMService() *FCMService {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s := &FCMService{key: key, Project: "ringsfu-test", Email: "push@ringsfu-test.iam.gserviceaccount.com",
		tokens: map[string]bool{}, gone: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the fake.
func (s *FCMService) Close() { s.srv.Close() }

// URL is the base URL of both endpoints (the token one at /token).
func (s *FCMService) URL() string { return s.srv.URL }

// ServiceAccount returns a service-account JSON whose token_uri is the
// fake's.
func (s *FCMService) ServiceAccount() []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(s.key)
	b, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": s.Project, "private_key_id": "k1",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "client_email": s.Email,
		"token_uri": s.srv.URL + "/token"})
	return b
}

// SetGone makes sends to device token tok answer 404 UNREGISTERED.
func (s *FCMService) SetGone(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone[tok] = true
}

// FailNext makes the next n sends answer 503.
func (s *FCMService) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = n
}

// Received returns the messages accepted so far.
func (s *FCMService) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Errors returns the refused requests' reasons.
func (s *FCMService) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

// Grants counts the access tokens issued.
func (s *FCMService) Grants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants
}

func (s *FCMService) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(code int, status, why string) {
		s.errs = append(s.errs, why)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "status": status, "message": why}})
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/token":
		if why := s.checkAssertion(r); why != "" {
			fail(http.StatusBadRequest, "invalid_grant", why)
			return
		}
		s.grants++
		tok := fmt.Sprintf("ya29.fake-%d", s.grants)
		s.tokens[tok] = true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/projects/"+s.Project+"/messages:send":
		bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !s.tokens[bearer] {
			fail(http.StatusUnauthorized, "UNAUTHENTICATED", "bearer is not an issued access token")
			return
		}
		var body struct {
			Message struct {
				Token   string            `json:"token"`
				Data    map[string]string `json:"data"`
				Android struct {
					Priority    string `json:"priority"`
					TTL         string `json:"ttl"`
					CollapseKey string `json:"collapse_key"`
				} `json:"android"`
			} `json:"message"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Message.Token == "" || body.Message.Data["callID"] == "" {
			fail(http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("bad message: %v", err))
			return
		}
		if body.Message.Android.Priority != "high" || !strings.HasSuffix(body.Message.Android.TTL, "s") {
			fail(http.StatusBadRequest, "INVALID_ARGUMENT", "want android priority high and a ttl")
			return
		}
		if s.failing > 0 {
			s.failing--
			fail(http.StatusServiceUnavailable, "UNAVAILABLE", "try later")
			return
		}
		if s.gone[body.Message.Token] {
			s.errs = append(s.errs, "unregistered")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":404,"status":"NOT_FOUND","message":"Requested entity was not found.",` +
				`"details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`))
			return
		}
		h := r.Header.Clone()
		h.Set("X-Android-Ttl", body.Message.Android.TTL)
		raw, _ := json.Marshal(body.Message.Data)
		s.got = append(s.got, Received{To: body.Message.Token, Message: push.MessageFromData(body.Message.Data), Header: h, Raw: raw})
		_ = json.NewEncoder(w).Encode(map[string]string{"name": fmt.Sprintf("projects/%s/messages/%d", s.Project, len(s.got))})
	default:
		fail(http.StatusNotFound, "NOT_FOUND", "no such endpoint: "+r.Method+" "+r.URL.Path)
	}
}

// checkAssertion verifies a JWT-bearer token request; it returns why it
// fails, or "".
func (s *FCMService) checkAssertion(r *http.Request) string {
	if err := r.ParseForm(); err != nil {
		return err.Error()
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		return "grant_type is not jwt-bearer"
	}
	hdr, c, err := push.VerifyRS256(r.PostForm.Get("assertion"), &s.key.PublicKey)
	if err != nil {
		return err.Error()
	}
	iat, _ := c["iat"].(float64)
	exp, _ := c["exp"].(float64)
	switch {
	case hdr["alg"] != "RS256":
		return "alg is not RS256"
	case c["iss"] != s.Email:
		return "iss is not the service account"
	case c["scope"] != "https://www.googleapis.com/auth/firebase.messaging":
		return "scope is not firebase.messaging"
	case c["aud"] != s.srv.URL+"/token":
		return fmt.Sprintf("aud %v is not the token endpoint", c["aud"])
	case exp-iat > 3600 || time.Unix(int64(exp), 0).Before(time.Now()):
		return "exp is not within an hour of iat"
	}
	return ""
}
