package signaling

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenLeeway is how long past `exp` a token is still accepted (PROTOCOL.md §3).
const tokenLeeway = 30 * time.Second

// Claims are the JWT claims of a ringsfu token.
type Claims struct {
	// App is the application id the token is for.
	App string `json:"app"`
	// Name is the user's display name (optional).
	Name string `json:"name,omitempty"`
	// Call, when set, restricts the user to that call id.
	Call string `json:"call,omitempty"`
	// Role "server" marks a token of the app's backend for the server API
	// (api_token.go); such a token cannot sign in over signaling. Other
	// values, of any JSON type, are ignored as before.
	Role any `json:"role,omitempty"`
	jwt.RegisteredClaims
}

// Identity is what a valid token proves.
type Identity struct {
	UserID string
	Name   string
	Call   string
	// Expires is when the token expires (its exp claim).
	Expires time.Time
}

// TokenVerifier checks tokens signed HS256 with one app's secret.
type TokenVerifier struct {
	appID  string
	secret []byte
	parser *jwt.Parser
}

// NewTokenVerifier returns a verifier for appID and its secret.
func NewTokenVerifier(appID, secret string) *TokenVerifier {
	return &TokenVerifier{
		appID:  appID,
		secret: []byte(secret),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithLeeway(tokenLeeway),
			jwt.WithExpirationRequired(),
		),
	}
}

// Verify checks a token and returns the identity it proves. Every failure
// wraps ErrUnauthorized.
func (v *TokenVerifier) Verify(token string) (Identity, error) {
	var c Claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.secret, nil })
	if err != nil {
		return Identity{}, fmt.Errorf("%w: invalid token: %w", ErrUnauthorized, err)
	}
	if c.App == "" || c.App != v.appID {
		return Identity{}, fmt.Errorf("%w: token is for another app", ErrUnauthorized)
	}
	if c.Role == RoleServer {
		return Identity{}, fmt.Errorf("%w: a server token cannot sign in as a user", ErrUnauthorized)
	}
	if !validID(c.Subject, maxIDLen) {
		return Identity{}, fmt.Errorf("%w: token subject is not a valid user id", ErrUnauthorized)
	}
	if !validName(c.Name) {
		return Identity{}, fmt.Errorf("%w: token name is invalid", ErrUnauthorized)
	}
	if c.Call != "" && !validID(c.Call, maxCallIDLen) {
		return Identity{}, fmt.Errorf("%w: token call is not a valid call id", ErrUnauthorized)
	}
	id := Identity{UserID: c.Subject, Name: c.Name, Call: c.Call}
	if c.ExpiresAt != nil {
		id.Expires = c.ExpiresAt.Time
	}
	return id, nil
}

// MintOptions describe a token to sign.
type MintOptions struct {
	AppID  string
	Secret string
	UserID string
	Name   string
	TTL    time.Duration
	Call   string
	// Now is the issue time; zero means time.Now().
	Now time.Time
}

// Mint signs a token with HS256 for the given user.
func Mint(o MintOptions) (string, error) {
	if !validID(o.UserID, maxIDLen) {
		return "", fmt.Errorf("%w: invalid user id %q", ErrBadRequest, o.UserID)
	}
	if !validName(o.Name) {
		return "", fmt.Errorf("%w: invalid name", ErrBadRequest)
	}
	if o.Call != "" && !validID(o.Call, maxCallIDLen) {
		return "", fmt.Errorf("%w: invalid call id %q", ErrBadRequest, o.Call)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	c := Claims{
		App:  o.AppID,
		Name: o.Name,
		Call: o.Call,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   o.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(o.TTL)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(o.Secret))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}
