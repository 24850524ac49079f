package signaling_test

import (
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media/turnserver"
	"github.com/ringsfu/ringsfu/signaling"
)

// Relay mode of the media harness: with RINGSFU_TEST_RELAY=1 every media
// test runs with its Pion members forced through TURN (ICE transport policy
// relay), as the independent suites do: the server starts the embedded
// TURN server (media/turnserver) on 127.0.0.1, hands each session the
// ephemeral credentials in its hello result's iceServers, and the members
// use only those. `make test-relay` runs the media tests this way.

// relayMode reports whether the media tests run relay-only.
func relayMode() bool { return os.Getenv("RINGSFU_TEST_RELAY") == "1" }

// relayICEServers starts an embedded TURN server for t on a free loopback
// port (UDP and TCP) and returns the per-session iceServers function the
// server hands out, as `ringsfu serve --turn-port` does.
func relayICEServers(t *testing.T) func(userID string, tokenExpires time.Time) []signaling.ICEServer {
	t.Helper()
	const secret = "relay-test-secret"
	var srv *turnserver.Server
	var port int
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		port = freeUDPTCPPort(t)
		srv, err = turnserver.New(turnserver.Config{
			RelayIP: net.IPv4(127, 0, 0, 1),
			Port:    port,
			Secret:  secret,
			Peers:   turnserver.Peers{AnyPort: true},
		})
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("relay mode: turn server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hp := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	urls := []string{"turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"}
	return func(userID string, tokenExpires time.Time) []signaling.ICEServer {
		now := time.Now()
		user, cred := turnserver.Credentials(secret, userID,
			now.Add(turnserver.CredentialLifetime(now, tokenExpires, time.Hour)))
		return []signaling.ICEServer{{URLs: urls, Username: user, Credential: cred}}
	}
}

// freeUDPTCPPort returns a loopback port that was free for both UDP and
// TCP a moment ago.
func freeUDPTCPPort(t *testing.T) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return 0
}

// relayPolicy is the ICE transport policy members use: relay in relay
// mode, Pion's default otherwise.
func relayPolicy() webrtc.ICETransportPolicy {
	if relayMode() {
		return webrtc.ICETransportPolicyRelay
	}
	return webrtc.ICETransportPolicyAll
}

// checkRelayPairs registers, in relay mode, a check run before s closes:
// every PeerConnection of s that connected did so through a relay
// candidate of its own.
func checkRelayPairs(t *testing.T, id string, pcs func() []*webrtc.PeerConnection) {
	if !relayMode() {
		return
	}
	t.Cleanup(func() {
		for _, pc := range pcs() {
			if pc == nil || pc.SCTP() == nil {
				continue
			}
			pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
			if err != nil || pair == nil {
				continue // never connected
			}
			if pair.Local.Typ != webrtc.ICECandidateTypeRelay {
				t.Errorf("relay mode: %s connected through a %s candidate, want relay", id, pair.Local.Typ)
			}
		}
	})
}
