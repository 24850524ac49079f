package signaling

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	tokApp    = "app1"
	tokSecret = "s3cret"
)

// mapClaims returns valid claims for alice.
func mapClaims() jwt.MapClaims {
	return jwt.MapClaims{"app": tokApp, "sub": "alice", "name": "Alice", "exp": time.Now().Add(time.Hour).Unix()}
}

func signWith(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMintVerifyRoundTrip(t *testing.T) {
	v := NewTokenVerifier(tokApp, tokSecret)
	for _, o := range []MintOptions{
		{UserID: "alice", Name: "Alice"},
		{UserID: "bob", Name: ""},
		{UserID: "a.b-c_d@e", Name: "Ünïcødé ✓", Call: "call-1"},
		{UserID: strings.Repeat("x", 64), Name: strings.Repeat("名", 128), Call: strings.Repeat("c", 128)},
	} {
		o.AppID, o.Secret = tokApp, tokSecret
		tok, err := Mint(o)
		if err != nil {
			t.Fatalf("mint %+v: %v", o, err)
		}
		id, err := v.Verify(tok)
		if err != nil {
			t.Fatalf("verify %+v: %v", o, err)
		}
		if id.UserID != o.UserID || id.Name != o.Name || id.Call != o.Call {
			t.Fatalf("identity %+v from %+v", id, o)
		}
		// Mint's default TTL is an hour; exp has whole seconds.
		if left := time.Until(id.Expires); left < 58*time.Minute || left > time.Hour {
			t.Fatalf("identity expires in %v", left)
		}
	}
}

func TestMintClaims(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok, err := Mint(MintOptions{AppID: tokApp, Secret: tokSecret, UserID: "alice", Name: "Alice", TTL: 2 * time.Minute, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q", tok)
	}
	var hdr, body map[string]any
	mustDecodeSeg(t, parts[0], &hdr)
	mustDecodeSeg(t, parts[1], &body)
	if hdr["alg"] != "HS256" {
		t.Fatalf("header %v", hdr)
	}
	if body["app"] != tokApp || body["sub"] != "alice" || body["name"] != "Alice" ||
		body["exp"].(float64) != float64(now.Add(2*time.Minute).Unix()) || body["iat"].(float64) != float64(now.Unix()) {
		t.Fatalf("claims %v", body)
	}
	if _, has := body["call"]; has {
		t.Fatalf("empty call claim present: %v", body)
	}
	// Default TTL is one hour.
	tok, err = Mint(MintOptions{AppID: tokApp, Secret: tokSecret, UserID: "alice", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	mustDecodeSeg(t, strings.Split(tok, ".")[1], &body)
	if body["exp"].(float64) != float64(now.Add(time.Hour).Unix()) {
		t.Fatalf("default TTL: %v", body)
	}
	// A zero Now means now: the token verifies.
	tok, err = Mint(MintOptions{AppID: tokApp, Secret: tokSecret, UserID: "alice", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTokenVerifier(tokApp, tokSecret).Verify(tok); err != nil {
		t.Fatal(err)
	}
}

func mustDecodeSeg(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestMintRefusesInvalidInput(t *testing.T) {
	for _, o := range []MintOptions{
		{UserID: ""},
		{UserID: "al ice"},
		{UserID: strings.Repeat("x", 65)},
		{UserID: "alice", Name: strings.Repeat("n", 129)},
		{UserID: "alice", Name: "a\nb"},
		{UserID: "alice", Name: "bad\xffutf8"},
		{UserID: "alice", Call: "a call"},
		{UserID: "alice", Call: strings.Repeat("c", 129)},
	} {
		o.AppID, o.Secret = tokApp, tokSecret
		if _, err := Mint(o); !errors.Is(err, ErrBadRequest) {
			t.Errorf("mint %+v: want ErrBadRequest, got %v", o, err)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	v := NewTokenVerifier(tokApp, tokSecret)
	now := time.Now()
	with := func(k string, val any) jwt.MapClaims { c := mapClaims(); c[k] = val; return c }
	without := func(k string) jwt.MapClaims { c := mapClaims(); delete(c, k); return c }
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), mapClaims())
	dot := strings.LastIndexByte(good, '.')
	cases := map[string]string{
		"empty":                            "",
		"two segments":                     good[:dot],
		"garbage":                          "a.b.c",
		"wrong secret":                     signWith(t, jwt.SigningMethodHS256, []byte("nope"), mapClaims()),
		"empty secret":                     signWith(t, jwt.SigningMethodHS256, []byte(""), mapClaims()),
		"signature stripped":               good[:dot+1],
		"HS384":                            signWith(t, jwt.SigningMethodHS384, []byte(tokSecret), mapClaims()),
		"HS512":                            signWith(t, jwt.SigningMethodHS512, []byte(tokSecret), mapClaims()),
		"RS256":                            signWith(t, jwt.SigningMethodRS256, rsaKey, mapClaims()),
		"PS256":                            signWith(t, jwt.SigningMethodPS256, rsaKey, mapClaims()),
		"ES256":                            signWith(t, jwt.SigningMethodES256, ecKey, mapClaims()),
		"none":                             signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, mapClaims()),
		"wrong app":                        signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("app", "app2")),
		"app case differs":                 signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("app", "APP1")),
		"app missing":                      signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), without("app")),
		"app not a string":                 signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("app", 1)),
		"sub missing":                      signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), without("sub")),
		"sub empty":                        signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("sub", "")),
		"sub bad chars":                    signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("sub", "al$ice")),
		"sub too long":                     signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("sub", strings.Repeat("a", 65))),
		"sub number":                       signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("sub", 42)),
		"exp missing":                      signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), without("exp")),
		"exp string":                       signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("exp", "soon")),
		"expired 31 s":                     signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("exp", now.Add(-31*time.Second).Unix())),
		"expired a day":                    signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("exp", now.Add(-24*time.Hour).Unix())),
		"nbf in 1 min":                     signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("nbf", now.Add(time.Minute).Unix())),
		"name too long":                    signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("name", strings.Repeat("é", 129))),
		"name control":                     signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("name", "tab\there")),
		"name bidi override":               signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("name", "evil\u202Eman")),
		"name not a string":                signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("name", 5)),
		"call invalid":                     signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("call", "c/1")),
		"call too long":                    signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), with("call", strings.Repeat("c", 129))),
		"alg header none, HMAC signature":  forge(t, `{"alg":"none"}`, mapClaims()),
		"alg header RS256, HMAC signature": forge(t, `{"alg":"RS256","typ":"JWT"}`, mapClaims()),
		"alg header missing":               forge(t, `{"typ":"JWT"}`, mapClaims()),
		"claims not JSON":                  forgeRaw(t, `{"alg":"HS256"}`, `not json`),
		"claims an array":                  forgeRaw(t, `{"alg":"HS256"}`, `[1,2]`),
	}
	for name, tok := range cases {
		id, err := v.Verify(tok)
		if err == nil {
			t.Errorf("%s: accepted as %+v", name, id)
			continue
		}
		if !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: error %v does not wrap ErrUnauthorized", name, err)
		}
		if codeFor(err) != CodeUnauthorized {
			t.Errorf("%s: code %s", name, codeFor(err))
		}
	}
}

// forge builds a token with a chosen header, signed HS256 with the secret.
func forge(t *testing.T, header string, c jwt.MapClaims) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return forgeRaw(t, header, string(b))
}

// forgeRaw signs header.payload HS256 with the secret.
func forgeRaw(t *testing.T, header, payload string) string {
	t.Helper()
	signing := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(signing, []byte(tokSecret))
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestVerifyAccepts(t *testing.T) {
	v := NewTokenVerifier(tokApp, tokSecret)
	now := time.Now()
	with := func(k string, val any) jwt.MapClaims { c := mapClaims(); c[k] = val; return c }
	for name, c := range map[string]jwt.MapClaims{
		"plain":                  mapClaims(),
		"expired 20 s (leeway)":  with("exp", now.Add(-20*time.Second).Unix()),
		"expired 29 s (leeway)":  with("exp", now.Add(-29*time.Second).Unix()),
		"nbf 20 s ahead":         with("nbf", now.Add(20*time.Second).Unix()),
		"iat in the future":      with("iat", now.Add(time.Hour).Unix()),
		"extra claims":           with("role", "admin"),
		"name 128 code points":   with("name", strings.Repeat("é", 128)),
		"name with emoji":        with("name", "Alice 👩‍💻"),
		"name with inner spaces": with("name", "Alice  von  Wunderland"),
		"call claim":             with("call", "room.1"),
		"aud present":            with("aud", "anything"),
	} {
		tok := signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), c)
		id, err := v.Verify(tok)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if id.UserID != "alice" {
			t.Errorf("%s: identity %+v", name, id)
		}
		if name == "call claim" && id.Call != "room.1" {
			t.Errorf("call claim lost: %+v", id)
		}
	}
	// A token for one app is refused by a verifier of another app, even
	// with the same secret.
	tok := signWith(t, jwt.SigningMethodHS256, []byte(tokSecret), mapClaims())
	if _, err := NewTokenVerifier("app2", tokSecret).Verify(tok); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("other app: %v", err)
	}
}

func TestVerifyDoesNotLeakSecretInErrors(t *testing.T) {
	v := NewTokenVerifier(tokApp, tokSecret)
	_, err := v.Verify(signWith(t, jwt.SigningMethodHS256, []byte("nope"), mapClaims()))
	if err == nil || strings.Contains(err.Error(), tokSecret) {
		t.Fatalf("error %v", err)
	}
}
