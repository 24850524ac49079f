package signaling

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// RoleServer is the role claim of a server API token.
const RoleServer = "server"

// ErrNotServer means a valid token that is not a server token (a user
// token) was presented to the server API: HTTP 403.
var ErrNotServer = errors.New("not a server token")

// VerifyServer checks a server API token: signed with the app secret, for
// this app, unexpired, with role "server". A bad, expired or forged token
// wraps ErrUnauthorized; a valid user token wraps ErrNotServer.
// Signature comparison is constant-time (HMAC verification in jwt).
func (v *TokenVerifier) VerifyServer(token string) error {
	var c Claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.secret, nil })
	if err != nil {
		return fmt.Errorf("%w: invalid token: %w", ErrUnauthorized, err)
	}
	if c.App == "" || c.App != v.appID {
		return fmt.Errorf("%w: token is for another app", ErrUnauthorized)
	}
	if c.Role != RoleServer {
		return fmt.Errorf("%w: the server API needs a server token (ringsfu token --server)", ErrNotServer)
	}
	return nil
}

// MintServer signs a server API token for appID, valid for ttl (default
// 1 h).
func MintServer(appID, secret string, ttl time.Duration, now time.Time) (string, error) {
	if now.IsZero() {
		now = time.Now()
	}
	if ttl <= 0 {
		ttl = time.Hour
	}
	c := Claims{App: appID, Role: RoleServer, RegisteredClaims: jwt.RegisteredClaims{
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}
