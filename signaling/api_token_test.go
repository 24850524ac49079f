package signaling

import (
	"errors"
	"testing"
	"time"
)

func TestServerTokens(t *testing.T) {
	v := NewTokenVerifier("app", "secret")
	srv, err := MintServer("app", "secret", time.Hour, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyServer(srv); err != nil {
		t.Fatalf("server token refused: %v", err)
	}
	if _, err := v.Verify(srv); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a server token signed in as a user: %v", err)
	}
	user, _ := Mint(MintOptions{AppID: "app", Secret: "secret", UserID: "alice"})
	if err := v.VerifyServer(user); !errors.Is(err, ErrNotServer) || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("user token: %v, want ErrNotServer", err)
	}
	for name, tok := range map[string]string{
		"expired":   must(MintServer("app", "secret", time.Minute, time.Now().Add(-time.Hour))),
		"forged":    must(MintServer("app", "other", time.Hour, time.Time{})),
		"other app": must(MintServer("other", "secret", time.Hour, time.Time{})),
		"garbage":   "x.y.z",
		"empty":     "",
	} {
		if err := v.VerifyServer(tok); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v, want ErrUnauthorized", name, err)
		}
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
