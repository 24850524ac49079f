package pushtest

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/ringsfu/ringsfu/signaling/push"
)

// Received is one push a fake service accepted, decoded.
type Received struct {
	// To is the subscription id, FCM token or APNs device token.
	To      string
	Message push.Message
	Header  http.Header
	// Raw is the decrypted payload (Web Push) or the request body.
	Raw []byte
}

// WebPushService is a fake push service. Subscriptions it hands out live
// at /sub/<id> on its loopback server.
type WebPushService struct {
	srv  *httptest.Server
	vapd *ecdsa.PublicKey // the application server key it accepts

	mu     sync.Mutex
	subs   map[string]*webSub
	got    []Received
	errs   []string
	status map[string]int // forced response per subscription id
	hang   bool
	done   chan struct{}
	seq    int
}

type webSub struct {
	key  *ecdh.PrivateKey
	auth []byte
}

// NewWebPushService starts a fake push service that accepts pushes signed
// with vapid's key.
func NewWebPushService(vapid *ecdsa.PublicKey) *WebPushService {
	s := &WebPushService{vapd: vapid, subs: map[string]*webSub{}, status: map[string]int{}, done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the service.
func (s *WebPushService) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.srv.Close()
}

// Subscribe creates a subscription as a browser would and returns its id,
// endpoint and keys (base64url).
func (s *WebPushService) Subscribe() (id, endpoint, p256dh, auth string) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	a := make([]byte, 16)
	_, _ = rand.Read(a)
	s.mu.Lock()
	s.seq++
	id = fmt.Sprint("s", s.seq)
	s.subs[id] = &webSub{key: key, auth: a}
	s.mu.Unlock()
	enc := base64.RawURLEncoding
	return id, s.srv.URL + "/sub/" + id, enc.EncodeToString(key.PublicKey().Bytes()), enc.EncodeToString(a)
}

// SetStatus makes pushes to subscription id answer status (e.g. 410).
func (s *WebPushService) SetStatus(id string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[id] = status
}

// SetHang makes every push hang until its request ends or Close.
func (s *WebPushService) SetHang(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = on
}

// Received returns the pushes accepted so far.
func (s *WebPushService) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Errors returns the refused requests' reasons.
func (s *WebPushService) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

// serve checks and decrypts one push.
func (s *WebPushService) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	id, ok := strings.CutPrefix(r.URL.Path, "/sub/")
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	fail := func(code int, why string) {
		s.errs = append(s.errs, why)
		http.Error(w, why, code)
	}
	if !ok || sub == nil {
		fail(http.StatusNotFound, "no such subscription")
		return
	}
	if st := s.status[id]; st != 0 {
		w.WriteHeader(st)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		fail(http.StatusBadRequest, "want POST with Content-Encoding aes128gcm and TTL")
		return
	}
	if why := s.checkVAPID(r.Header.Get("Authorization"), "http://"+r.Host); why != "" {
		fail(http.StatusForbidden, why)
		return
	}
	pt, err := push.DecryptWebPush(body, sub.key, sub.auth)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	var m push.Message
	if err := json.Unmarshal(pt, &m); err != nil {
		fail(http.StatusBadRequest, "payload is not a message: "+err.Error())
		return
	}
	s.got = append(s.got, Received{To: id, Message: m, Header: r.Header.Clone(), Raw: pt})
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID verifies `vapid t=<jwt>, k=<key>` against the accepted key
// and the audience; it returns why it fails, or "".
func (s *WebPushService) checkVAPID(h, aud string) string {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return "Authorization is not vapid"
	}
	var t, k string
	for _, p := range strings.Split(rest, ",") {
		p = strings.TrimSpace(p)
		if v, ok := strings.CutPrefix(p, "t="); ok {
			t = v
		} else if v, ok := strings.CutPrefix(p, "k="); ok {
			k = v
		}
	}
	want, _ := s.vapd.ECDH()
	if k != base64.RawURLEncoding.EncodeToString(want.Bytes()) {
		return "k is not the application server key"
	}
	hdr, claims, err := push.VerifyES256(t, s.vapd)
	if err != nil {
		return err.Error()
	}
	exp, _ := claims["exp"].(float64)
	sub, _ := claims["sub"].(string)
	switch {
	case hdr["alg"] != "ES256":
		return "alg is not ES256"
	case claims["aud"] != aud:
		return fmt.Sprintf("aud %v, want %s", claims["aud"], aud)
	case time.Unix(int64(exp), 0).Before(time.Now()) || time.Unix(int64(exp), 0).After(time.Now().Add(24*time.Hour)):
		return "exp is not within 24 h"
	case !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https:"):
		return "sub is not a contact URL"
	}
	return ""
}
