package signaling

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// signHS256 signs a raw header and claims JSON as a compact JWS (RFC 7515
// §7.1), without checking either: the fuzzer's claims reach the verifier's
// claim checks instead of dying at the signature.
func signHS256(header, claims []byte, secret string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(in))
	return in + "." + enc.EncodeToString(mac.Sum(nil))
}

// FuzzVerifyToken checks the hello token verifier against arbitrary tokens
// and against arbitrary claims correctly signed with the app's secret (a
// client chooses both). It must not panic; every refusal wraps
// ErrUnauthorized; an accepted token proves a valid identity whose claims
// name this app and that user, re-mints to a token proving the same
// identity, and stops verifying when its signature changes.
func FuzzVerifyToken(f *testing.F) {
	exp := time.Now().Add(24 * time.Hour).Unix()
	hdr := `{"alg":"HS256","typ":"JWT"}`
	for _, c := range []string{
		`{"app":"app1","sub":"alice","name":"Alice","exp":` + itoaTest(exp) + `}`,
		`{"app":"app1","sub":"bob","call":"standup","exp":` + itoaTest(exp) + `}`,
		`{"app":"app1","sub":"alice","exp":1}`,
		`{"app":"app2","sub":"alice","exp":` + itoaTest(exp) + `}`,
		`{"app":"app1","sub":"a b","exp":` + itoaTest(exp) + `}`,
		`{"app":"app1","sub":"alice","name":"\u202e","exp":` + itoaTest(exp) + `}`,
		`{"app":"app1","sub":"alice","exp":"tomorrow"}`,
		`{"app":"app1","sub":"alice","exp":1e400}`,
		`{"app":"app1","sub":"alice","exp":` + itoaTest(exp) + `,"nbf":99999999999}`,
		`{"app":["app1"],"sub":{"x":1},"exp":null}`,
		`[]`, `null`, ``,
	} {
		f.Add(hdr, c, "")
	}
	good, err := Mint(MintOptions{AppID: tokApp, Secret: tokSecret, UserID: "alice", Name: "Alice", Call: "c1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"alg":"none"}`, `{"app":"app1","sub":"alice","exp":`+itoaTest(exp)+`}`, "")
	f.Add(`{"alg":"HS512"}`, `{}`, "")
	f.Add(`{"alg":"HS256","crit":["x"]}`, `{}`, "")
	f.Add("", "", good)
	f.Add("", "", good[:len(good)-3])
	f.Add("", "", "a.b.c")
	f.Add("", "", "..")
	f.Fuzz(func(t *testing.T, header, claims, raw string) {
		v := NewTokenVerifier(tokApp, tokSecret)
		for _, tok := range []string{raw, signHS256([]byte(header), []byte(claims), tokSecret)} {
			id, err := v.Verify(tok)
			if err != nil {
				if !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("refusal %v does not wrap ErrUnauthorized", err)
				}
				if id != (Identity{}) {
					t.Fatalf("refusal with an identity %+v", id)
				}
				continue
			}
			if !validID(id.UserID, maxIDLen) || !validName(id.Name) || (id.Call != "" && !validID(id.Call, maxCallIDLen)) {
				t.Fatalf("accepted an invalid identity %+v", id)
			}
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("accepted %q, not a compact JWS", tok)
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				// jwt accepts padded base64url too.
				payload, err = base64.URLEncoding.DecodeString(parts[1])
			}
			var m map[string]any
			if err != nil || json.Unmarshal(payload, &m) != nil || m["app"] != tokApp || m["sub"] != id.UserID {
				t.Fatalf("accepted claims %q do not name app %q and user %q", payload, tokApp, id.UserID)
			}
			again, err := Mint(MintOptions{AppID: tokApp, Secret: tokSecret, UserID: id.UserID, Name: id.Name, Call: id.Call})
			if err != nil {
				t.Fatalf("re-mint %+v: %v", id, err)
			}
			// The re-minted token has its own expiry; the rest must match.
			id2, err := v.Verify(again)
			if err == nil && !id2.Expires.IsZero() {
				id2.Expires = id.Expires
			}
			if err != nil || id2 != id {
				t.Fatalf("re-minted token proves %+v, %v; want %+v", id2, err, id)
			}
			sig := []byte(parts[2])
			if len(sig) > 0 {
				sig[0] ^= 0x01
				if _, err := v.Verify(parts[0] + "." + parts[1] + "." + string(sig)); err == nil {
					t.Fatalf("token with a changed signature accepted: %q", tok)
				}
			}
			if _, err := NewTokenVerifier(tokApp, tokSecret+"x").Verify(tok); err == nil {
				t.Fatal("token accepted under another secret")
			}
		}
	})
}

func itoaTest(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
