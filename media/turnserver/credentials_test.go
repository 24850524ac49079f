package turnserver

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the scheme's hash
	"encoding/base64"
	"testing"
	"time"
)

func TestCredentialsFollowTheRESTScheme(t *testing.T) {
	exp := time.Unix(1_900_000_000, 0)
	user, pass := Credentials("s3cret", "alice", exp)
	if user != "1900000000:alice" {
		t.Fatalf("username %q", user)
	}
	mac := hmac.New(sha1.New, []byte("s3cret"))
	mac.Write([]byte(user))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); pass != want {
		t.Fatalf("credential %q, want %q", pass, want)
	}
	gotExp, gotUser, ok := parseUsername(user)
	if !ok || gotUser != "alice" || !gotExp.Equal(exp) {
		t.Fatalf("parse: %v %q %v", gotExp, gotUser, ok)
	}
	for _, bad := range []string{"", "alice", "x:alice", "123:", "-5:alice"} {
		if _, _, ok := parseUsername(bad); ok {
			t.Errorf("parseUsername(%q) accepted", bad)
		}
	}
}

func TestCredentialLifetime(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		token time.Time
		want  time.Duration
	}{
		{now.Add(time.Hour), time.Hour},
		{now.Add(48 * time.Hour), 24 * time.Hour},
		{time.Time{}, 24 * time.Hour},
		{now.Add(10 * time.Second), time.Minute},
	} {
		if got := CredentialLifetime(now, tc.token, 24*time.Hour); got != tc.want {
			t.Errorf("token %v: %v, want %v", tc.token, got, tc.want)
		}
	}
}
