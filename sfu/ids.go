package sfu

import (
	"crypto/rand"
	"encoding/base64"
)

// newTrackID returns a server-assigned track id: "TR_" and 16 characters of
// URL-safe base64 (96 random bits), matching [A-Za-z0-9_.@-]{1,64}.
func newTrackID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return "TR_" + base64.RawURLEncoding.EncodeToString(b[:])
}
