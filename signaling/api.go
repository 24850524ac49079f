package signaling

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The server API (PROTOCOL.md §9.4): JSON over HTTP under /v1/api/ for the
// app's backend, authenticated with a server token (role "server").

// APIPrefix is where the server API is mounted.
const APIPrefix = "/v1/api/"

// Server API rate limit per token: requests per second and burst.
const (
	apiRate      = 50
	apiBurst     = 100
	apiMaxTokens = 10000 // buckets kept; past it they are all dropped
	apiMaxBody   = 64 << 10
)

//go:embed openapi.json
var openAPIDoc []byte

// apiRoute is one endpoint of the server API.
type apiRoute struct {
	method, path string
	handle       func(s *Server, w http.ResponseWriter, r *http.Request) (any, error)
}

// apiRoutes lists every endpoint; openapi.json documents each (a test
// checks both ways).
func apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET", "/v1/api/calls", (*Server).apiListCalls},
		{"POST", "/v1/api/calls", (*Server).apiStartCall},
		{"GET", "/v1/api/calls/{callID}", (*Server).apiGetCall},
		{"POST", "/v1/api/calls/{callID}/end", (*Server).apiEndCall},
		{"POST", "/v1/api/calls/{callID}/remove", (*Server).apiRemove},
		{"POST", "/v1/api/calls/{callID}/device", (*Server).apiSetDevice},
		{"GET", "/v1/api/users/{userID}/presence", (*Server).apiPresence},
		{"GET", "/v1/api/users/{userID}/history", (*Server).apiUserHistory},
		{"GET", "/v1/api/history/calls", (*Server).apiHistoryCalls},
		{"GET", "/v1/api/history/calls/{recordID}", (*Server).apiHistoryCall},
		{"GET", "/v1/api/users/{userID}/push", (*Server).apiListPush},
		{"DELETE", "/v1/api/users/{userID}/push/{registrationID}", (*Server).apiRemovePush},
	}
}

// apiLimiter keeps one token bucket per server token.
type apiLimiter struct {
	mu      sync.Mutex
	buckets map[string]*tokenBucket // guarded by mu
}

// allow takes one request from key's bucket.
func (l *apiLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil || len(l.buckets) >= apiMaxTokens {
		l.buckets = map[string]*tokenBucket{}
	}
	b := l.buckets[key]
	if b == nil {
		b = newTokenBucket(apiRate, apiBurst, now)
		l.buckets[key] = b
	}
	return b.allow(now)
}

// API returns the server API's handler, to be mounted at APIPrefix.
func (s *Server) API() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/api/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPIDoc)
	})
	lim := &apiLimiter{}
	for _, rt := range apiRoutes() {
		rt := rt
		mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			s.serveAPI(w, r, lim, rt)
		})
	}
	mux.HandleFunc("/v1/api/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// serveAPI authenticates, rate-limits and runs one API request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, lim *apiLimiter, rt apiRoute) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ringsfu"`)
		writeAPIError(w, http.StatusUnauthorized, CodeUnauthorized, "missing Authorization: Bearer <server token>")
		return
	}
	if err := s.verifier.VerifyServer(token); err != nil {
		if errors.Is(err, ErrNotServer) {
			writeAPIError(w, http.StatusForbidden, CodeNotPermitted, err.Error())
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="ringsfu", error="invalid_token"`)
		writeAPIError(w, http.StatusUnauthorized, CodeUnauthorized, err.Error())
		return
	}
	// The signature identifies the token; only its bucket is kept.
	key := token[strings.LastIndexByte(token, '.')+1:]
	if !lim.allow(key, time.Now()) {
		w.Header().Set("Retry-After", "1")
		writeAPIError(w, http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, apiMaxBody)
	res, err := rt.handle(s, w, r)
	if err != nil {
		code := codeFor(err)
		if code == CodeInternal {
			s.log.Error().Err(err).Str("path", r.URL.Path).Msg("server API")
		}
		writeAPIError(w, apiStatus(code), code, messageFor(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(res)
}

// apiStatus maps a wire error code to its HTTP status.
func apiStatus(code string) int {
	switch code {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeNotPermitted:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeBusy, CodeConflict:
		return http.StatusConflict
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeAPIError writes {"error":{"code","message"}} with status.
func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]ErrorBody{"error": {Code: code, Message: msg}})
}

// decodeBody reads a JSON request body into v, refusing unknown fields.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge("request body over %d bytes", apiMaxBody)
		}
		return badRequest("body: %v", err)
	}
	return nil
}
