package push

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// webPushRecordSize is the aes128gcm record size written in the header;
// a push message is one record.
const webPushRecordSize = 4096

// encryptWebPush encrypts plaintext for a subscription (RFC 8291 with the
// aes128gcm content coding of RFC 8188): a fresh ephemeral key and salt,
// one record, the header carrying the salt, the record size and the
// ephemeral public key.
func encryptWebPush(plaintext, uaPublic, authSecret []byte) ([]byte, error) {
	if len(plaintext)+1+16 > webPushRecordSize-86 {
		return nil, fmt.Errorf("push: web push payload of %d bytes is too large", len(plaintext))
	}
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("push: ephemeral key: %w", err)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("push: salt: %w", err)
	}
	return sealWebPush(plaintext, uaPublic, authSecret, as, salt)
}

// sealWebPush encrypts with a given ephemeral key and salt.
func sealWebPush(plaintext, uaPublic, authSecret []byte, as *ecdh.PrivateKey, salt []byte) ([]byte, error) {
	ua, err := ecdh.P256().NewPublicKey(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("push: subscription p256dh: %w", err)
	}
	cek, nonce, err := webPushKeys(as, ua, as.PublicKey().Bytes(), uaPublic, authSecret, salt)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, err
	}
	header := make([]byte, 0, 86)
	header = append(header, salt...)
	header = binary.BigEndian.AppendUint32(header, webPushRecordSize)
	asPub := as.PublicKey().Bytes()
	header = append(header, byte(len(asPub)))
	header = append(header, asPub...)
	record := append(append([]byte(nil), plaintext...), 0x02) // last record, no padding
	return gcm.Seal(header, nonce, record, nil), nil
}

// DecryptWebPush reverses encryptWebPush with the subscription's private
// key and auth secret, as a browser does. Tests and the fake Web Push
// service use it.
func DecryptWebPush(body []byte, ua *ecdh.PrivateKey, authSecret []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("push: aes128gcm body too short")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("push: aes128gcm header truncated")
	}
	asPub := body[21 : 21+idlen]
	as, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		return nil, fmt.Errorf("push: aes128gcm keyid: %w", err)
	}
	cek, nonce, err := webPushKeys(ua, as, asPub, ua.PublicKey().Bytes(), authSecret, salt)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, err
	}
	ct := body[21+idlen:]
	if len(ct) > int(rs) {
		return nil, errors.New("push: more than one record")
	}
	pt, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("push: aes128gcm: %w", err)
	}
	// Strip the padding: zeros after the 0x02 delimiter of the last record.
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 || pt[i] != 0x02 {
		return nil, errors.New("push: aes128gcm: no last-record delimiter")
	}
	return pt[:i], nil
}

// webPushKeys derives the content encryption key and the nonce (RFC 8291
// §3.4 and RFC 8188 §2.2) from our private key, the peer's public key,
// both public keys in the order user agent then application server, the
// auth secret and the salt.
func webPushKeys(priv *ecdh.PrivateKey, peer *ecdh.PublicKey, asPub, uaPub, authSecret, salt []byte) (cek, nonce []byte, err error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, nil, fmt.Errorf("push: ecdh: %w", err)
	}
	info := append([]byte("WebPush: info\x00"), uaPub...)
	info = append(info, asPub...)
	ikm, err := hkdf.Key(sha256.New, shared, authSecret, string(info), 32)
	if err != nil {
		return nil, nil, fmt.Errorf("push: hkdf: %w", err)
	}
	if cek, err = hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16); err != nil {
		return nil, nil, fmt.Errorf("push: hkdf: %w", err)
	}
	if nonce, err = hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12); err != nil {
		return nil, nil, fmt.Errorf("push: hkdf: %w", err)
	}
	return cek, nonce, nil
}

// newGCM returns AES-128-GCM with key.
func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("push: aes: %w", err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("push: gcm: %w", err)
	}
	return g, nil
}
