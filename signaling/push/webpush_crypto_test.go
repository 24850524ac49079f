package push

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"testing"
)

// rfc8291 is the example of RFC 8291 Appendix A.
var rfc8291 = struct{ plaintext, asPrivate, uaPrivate, uaPublic, auth, salt, body string }{
	plaintext: "When I grow up, I want to be a watermelon",
	asPrivate: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
	uaPrivate: "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
	uaPublic:  "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
	auth:      "BTBZMqHH6r4Tts7J_aSIgg",
	salt:      "DGv6ra1nlYgDCS1FRnbzlw",
	body: "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_" +
		"yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWebPushEncryptionMatchesRFC8291 encrypts the RFC's example with its
// fixed key and salt and must produce its body byte for byte; decrypting
// the RFC's body with the user agent's key must give the plaintext.
func TestWebPushEncryptionMatchesRFC8291(t *testing.T) {
	v := rfc8291
	as, err := ecdh.P256().NewPrivateKey(mustB64(t, v.asPrivate))
	if err != nil {
		t.Fatal(err)
	}
	body, err := sealWebPush([]byte(v.plaintext), mustB64(t, v.uaPublic), mustB64(t, v.auth), as, mustB64(t, v.salt))
	if err != nil {
		t.Fatal(err)
	}
	if got := b64.EncodeToString(body); got != v.body {
		t.Fatalf("body\n got %s\nwant %s", got, v.body)
	}
	ua, err := ecdh.P256().NewPrivateKey(mustB64(t, v.uaPrivate))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := DecryptWebPush(mustB64(t, v.body), ua, mustB64(t, v.auth))
	if err != nil || string(pt) != v.plaintext {
		t.Fatalf("decrypt: %q %v", pt, err)
	}
	// A random key and salt round-trip; a wrong auth secret fails.
	msg := bytes.Repeat([]byte("x"), 3000)
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	body, err = encryptWebPush(msg, ua.PublicKey().Bytes(), auth)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := DecryptWebPush(body, ua, auth); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("round trip: %v", err)
	}
	auth[0] ^= 1
	if _, err := DecryptWebPush(body, ua, auth); err == nil {
		t.Fatal("decrypted with the wrong auth secret")
	}
	if _, err := encryptWebPush(make([]byte, 4000), ua.PublicKey().Bytes(), auth); err == nil {
		t.Fatal("a payload over one record was accepted")
	}
}
