package push

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// b64 is base64url without padding, as JWTs and Web Push use it.
var b64 = base64.RawURLEncoding

// signJWT returns a compact JWS of claims with header, signed with key:
// ES256 (an *ecdsa.PrivateKey on P-256, signature r||s) or RS256 (an
// *rsa.PrivateKey).
func signJWT(header, claims map[string]any, key crypto.Signer) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("push: jwt header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("push: jwt claims: %w", err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			return "", fmt.Errorf("push: jwt sign: %w", err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		if err != nil {
			return "", fmt.Errorf("push: jwt sign: %w", err)
		}
	default:
		return "", fmt.Errorf("push: jwt: unsupported key type %T", key)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// VerifyES256 checks a compact ES256 JWS against pub and returns its
// header and claims. Tests and the fake endpoints use it.
func VerifyES256(token string, pub *ecdsa.PublicKey) (header, claims map[string]any, err error) {
	parts := splitJWT(token)
	if parts == nil {
		return nil, nil, fmt.Errorf("push: not a compact JWS")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, nil, fmt.Errorf("push: bad ES256 signature encoding")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, nil, fmt.Errorf("push: ES256 signature does not verify")
	}
	return decodeJWTParts(parts)
}

// VerifyRS256 checks a compact RS256 JWS against pub.
func VerifyRS256(token string, pub *rsa.PublicKey) (header, claims map[string]any, err error) {
	parts := splitJWT(token)
	if parts == nil {
		return nil, nil, fmt.Errorf("push: not a compact JWS")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, nil, fmt.Errorf("push: bad RS256 signature encoding")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return nil, nil, fmt.Errorf("push: RS256 signature does not verify: %w", err)
	}
	return decodeJWTParts(parts)
}

// splitJWT splits a compact JWS into its three parts, or returns nil.
func splitJWT(token string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(token); i++ {
		if token[i] == '.' {
			parts = append(parts, token[start:i])
			start = i + 1
		}
	}
	parts = append(parts, token[start:])
	if len(parts) != 3 {
		return nil
	}
	return parts
}

// decodeJWTParts decodes the header and claims of a split JWS.
func decodeJWTParts(parts []string) (header, claims map[string]any, err error) {
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := b64.DecodeString(parts[i])
		if err != nil {
			return nil, nil, fmt.Errorf("push: jwt part %d: %w", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, nil, fmt.Errorf("push: jwt part %d: %w", i, err)
		}
	}
	return header, claims, nil
}
