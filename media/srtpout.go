package media

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"unsafe"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// Reaching a PeerConnection's outgoing SRTP keys.
//
// pion/webrtc v4 does not export a PeerConnection's SRTP session (upstream
// declined to, pion/webrtc#2677). The keys are derived from the DTLS
// connection by the exporter of RFC 5764 §4.2, exactly as Pion does in
// DTLSTransport.startSRTP; the DTLS connection, the DTLS role and Pion's
// raw SRTP endpoint (its write side of the ICE connection) are read from
// unexported fields by reflection. checkLayout verifies once that the
// fields exist with the expected types, and FastPath's self-test
// (fastpath_selftest.go) proves end to end that a Pion receiver decrypts
// what is encrypted with these keys; if either fails, callers keep Pion's
// own writer.
//
// Whoever encrypts with these keys must make sure that Pion never writes
// the same SSRC (AES-GCM nonce reuse, RFC 7714 §8.1): package sfu decides
// per DownTrack, once, before its first packet.

// ErrNoSRTPKeys reports that a PeerConnection's SRTP keys could not be
// reached (unexpected Pion internals, or DTLS not finished).
var ErrNoSRTPKeys = errors.New("media: srtp keys unavailable")

// SRTPOut is a PeerConnection's outgoing SRTP: its master key and salt,
// and Pion's raw write path for already-encrypted packets.
type SRTPOut struct {
	profile  srtp.ProtectionProfile
	key      []byte
	salt     []byte
	endpoint io.Writer // Pion's SRTP mux endpoint: writes go out on the ICE connection
}

var (
	layoutOnce sync.Once
	layoutErr  error
)

// checkLayout verifies the unexported fields NewSRTPOut reads.
func checkLayout() error {
	layoutOnce.Do(func() {
		t := reflect.TypeOf(webrtc.DTLSTransport{})
		want := map[string]reflect.Type{
			"conn": reflect.TypeOf((*dtls.Conn)(nil)),
			"lock": reflect.TypeOf(sync.RWMutex{}),
		}
		for name, typ := range want {
			if f, ok := t.FieldByName(name); !ok || f.Type != typ {
				layoutErr = fmt.Errorf("%w: DTLSTransport.%s changed", ErrNoSRTPKeys, name)
				return
			}
		}
		f, ok := t.FieldByName("srtpEndpoint")
		if !ok || f.Type.Kind() != reflect.Pointer || !f.Type.Implements(reflect.TypeOf((*io.Writer)(nil)).Elem()) {
			layoutErr = fmt.Errorf("%w: DTLSTransport.srtpEndpoint changed", ErrNoSRTPKeys)
			return
		}
		if f, ok := reflect.TypeOf(dtls.State{}).FieldByName("isClient"); !ok || f.Type.Kind() != reflect.Bool {
			layoutErr = fmt.Errorf("%w: dtls.State.isClient changed", ErrNoSRTPKeys)
		}
	})
	return layoutErr
}

// field returns a usable Value of an unexported field of the struct v
// points to.
func field(v reflect.Value, name string) reflect.Value {
	f := v.Elem().FieldByName(name)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// NewSRTPOut derives pc's outgoing SRTP keys. pc's DTLS handshake must be
// complete (its connection state reached connected).
func NewSRTPOut(pc *webrtc.PeerConnection) (*SRTPOut, error) {
	if err := checkLayout(); err != nil {
		return nil, err
	}
	sctp := pc.SCTP()
	if sctp == nil || sctp.Transport() == nil {
		return nil, fmt.Errorf("%w: no dtls transport", ErrNoSRTPKeys)
	}
	tv := reflect.ValueOf(sctp.Transport())
	lock := field(tv, "lock").Addr().Interface().(*sync.RWMutex)
	lock.RLock()
	conn, _ := field(tv, "conn").Interface().(*dtls.Conn)
	endpoint, _ := field(tv, "srtpEndpoint").Interface().(io.Writer)
	lock.RUnlock()
	if conn == nil || endpoint == nil || reflect.ValueOf(endpoint).IsNil() {
		return nil, fmt.Errorf("%w: dtls not started", ErrNoSRTPKeys)
	}
	profile, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, fmt.Errorf("%w: no srtp profile", ErrNoSRTPKeys)
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, fmt.Errorf("%w: dtls handshake not complete", ErrNoSRTPKeys)
	}
	isClient := reflect.ValueOf(&state).Elem().FieldByName("isClient").Bool()
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(profile)}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, isClient); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSRTPKeys, err)
	}
	return &SRTPOut{profile: cfg.Profile, key: cfg.Keys.LocalMasterKey, salt: cfg.Keys.LocalMasterSalt,
		endpoint: endpoint}, nil
}

// NewSRTPOutFromKeys builds an SRTPOut from known keys, for benchmarks and
// tests that have no DTLS connection; endpoint receives WriteRaw's packets.
func NewSRTPOutFromKeys(profile srtp.ProtectionProfile, key, salt []byte, endpoint io.Writer) *SRTPOut {
	return &SRTPOut{profile: profile, key: key, salt: salt, endpoint: endpoint}
}

// NewContext returns a fresh encryption context with the outgoing keys.
// Each SSRC must be encrypted by one context only, for the lifetime of the
// keys.
func (o *SRTPOut) NewContext() (*srtp.Context, error) {
	c, err := srtp.CreateContext(o.key, o.salt, o.profile)
	if err != nil {
		return nil, fmt.Errorf("media: srtp context: %w", err)
	}
	return c, nil
}

// TagLen returns the authentication tag's length: what encryption adds to
// a packet.
func (o *SRTPOut) TagLen() int {
	n, err := o.profile.AEADAuthTagLen()
	if err == nil && n > 0 {
		return n
	}
	n, _ = o.profile.AuthTagRTPLen()
	return n
}

// WriteRaw sends an encrypted packet through Pion's ICE connection (the
// selected candidate pair, whatever its transport).
func (o *SRTPOut) WriteRaw(b []byte) (int, error) {
	n, err := o.endpoint.Write(b)
	if err != nil {
		return n, fmt.Errorf("media: raw srtp write: %w", err)
	}
	return n, nil
}
