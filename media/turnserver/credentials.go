package turnserver

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 8489 long-term credentials and the TURN REST API use HMAC-SHA1.
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Credentials mints an ephemeral TURN credential for userID that expires at
// expires, in the TURN REST API scheme (coturn's use-auth-secret): the
// username is "<unix expiry>:<userID>" and the credential is the base64
// HMAC-SHA1 of the username keyed with secret. Any TURN server that knows
// secret (this package, or coturn with static-auth-secret) accepts it until
// expires.
func Credentials(secret, userID string, expires time.Time) (username, credential string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + userID
	return username, password(secret, username)
}

// password is the REST API credential for username.
func password(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// parseUsername splits a REST API username into its expiry and user id; ok
// is false when it is not of that form.
func parseUsername(username string) (expires time.Time, userID string, ok bool) {
	ts, user, found := strings.Cut(username, ":")
	if !found || user == "" {
		return time.Time{}, "", false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, "", false
	}
	return time.Unix(sec, 0), user, true
}

// CredentialLifetime returns how long a credential handed to a session
// should live: the remaining life of its token (tokenExpires), capped at
// max; at least one minute, so that a token about to expire still gets a
// usable credential for the call it is joining.
func CredentialLifetime(now, tokenExpires time.Time, max time.Duration) time.Duration {
	d := max
	if !tokenExpires.IsZero() {
		if left := tokenExpires.Sub(now); left < d {
			d = left
		}
	}
	if d < time.Minute {
		d = time.Minute
	}
	return d
}
