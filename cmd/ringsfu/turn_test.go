package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/media/turnserver"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// TestRelayOnlyPionClientsOverEmbeddedTURN: clients that may only use
// relay candidates, with nothing but the hello result's iceServers, call
// each other through the embedded TURN server, first over TURN/UDP, then
// over TURN/TCP; /metrics counts the allocations and relayed bytes.
func TestRelayOnlyPionClientsOverEmbeddedTURN(t *testing.T) {
	turnPort := freeLoopbackPort(t)
	s := startServe(t, "--drain-delay", "0", "--rtc-ip", "127.0.0.1", "--udp-port", freeLoopbackPort(t), "--turn-port", turnPort)
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			probe := dialAs(ctx, t, s.addr, "probe", "p1")
			var urls []string
			for _, srv := range probe.Hello().ICEServers {
				for _, u := range srv.URLs {
					if strings.HasSuffix(u, "?transport="+transport) {
						urls = append(urls, u)
					}
				}
				if srv.Username == "" || srv.Credential == "" {
					t.Fatalf("ICE server %v without a credential", srv.URLs)
				}
			}
			if len(urls) != 1 || urls[0] != "turn:127.0.0.1:"+turnPort+"?transport="+transport {
				t.Fatalf("TURN URLs for %s: %v", transport, urls)
			}
			_ = probe.Close()
			api, err := client.NewMediaAPI(client.MediaAPIConfig{LoopbackOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			a := runAudioCallWith(t, s.addr, "-"+transport, 50, func(c *client.Client) client.MediaConfig {
				// Only the hello result's TURN URL of this transport, with
				// this session's credential.
				var ice []webrtc.ICEServer
				for _, srv := range c.Hello().ICEServers {
					ice = append(ice, webrtc.ICEServer{URLs: urls, Username: srv.Username, Credential: srv.Credential})
				}
				return client.MediaConfig{API: api, ICEServers: ice, ICETransportPolicy: webrtc.ICETransportPolicyRelay, Trickle: true}
			})
			for _, pc := range []*webrtc.PeerConnection{a.caller.Subscriber(), a.callee.Publisher()} {
				p := selectedPair(t, pc)
				if p.Local.Typ != webrtc.ICECandidateTypeRelay {
					t.Fatalf("selected pair %s: local side is not a relay candidate", p)
				}
				if rp := relayProtocol(pc, p.Local); rp != transport {
					t.Fatalf("selected relay candidate reaches TURN over %q, want %s", rp, transport)
				}
			}
		})
	}
	if v := metric(t, "http", s.addr, "ringsfu_turn_allocations_total"); v == "" || v == "0" {
		t.Fatalf("ringsfu_turn_allocations_total %q", v)
	}
	for _, dir := range []string{"to_sfu", "to_client"} {
		v, _ := strconv.ParseFloat(metric(t, "http", s.addr, `ringsfu_turn_relayed_bytes_total{direction="`+dir+`"}`), 64)
		if v < 1000 {
			t.Fatalf("relayed bytes %s: %v", dir, v)
		}
	}
}

// TestHelloHandsEphemeralTURNCredentials: each session gets a credential in
// the TURN REST API scheme that expires with its token (capped), for the
// embedded server and, with --turn-secret, for an external one; the static
// pair still works without it.
func TestHelloHandsEphemeralTURNCredentials(t *testing.T) {
	turnPort, tlsPort := freeLoopbackPort(t), freeLoopbackPort(t)
	certFile, keyFile := writeTestCert(t, t.TempDir())
	s := startServe(t, "--drain-delay", "0", "--rtc-ip", "127.0.0.1", "--udp-port", freeLoopbackPort(t), "--turn-port", turnPort,
		"--turn-tls-port", tlsPort, "--tls-cert", certFile, "--tls-key", keyFile, "--turn-tls-host", "localhost",
		"--turn-secret", "op-secret", "--turn", "turn:turn.example.org:3478", "--stun", "stun:stun.example.org")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "alice", TTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dialer := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // the test's own certificate
	c, err := client.Dial(ctx, client.Config{URL: "wss://" + s.addr + "/v1/signal", Token: tok, DeviceID: "d", Dialer: &dialer})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	servers := c.Hello().ICEServers
	if len(servers) != 3 {
		t.Fatalf("ice servers %+v", servers)
	}
	if servers[0].URLs[0] != "stun:stun.example.org" || servers[0].Username != "" {
		t.Fatalf("stun entry %+v", servers[0])
	}
	want := []string{"turn:127.0.0.1:" + turnPort + "?transport=udp", "turn:127.0.0.1:" + turnPort + "?transport=tcp",
		"turns:localhost:" + tlsPort + "?transport=tcp"}
	if strings.Join(servers[2].URLs, " ") != strings.Join(want, " ") {
		t.Fatalf("embedded TURN URLs %v, want %v", servers[2].URLs, want)
	}
	for _, srv := range servers[1:] {
		exp, user, ok := strings.Cut(srv.Username, ":")
		sec, _ := strconv.ParseInt(exp, 10, 64)
		left := time.Until(time.Unix(sec, 0))
		if !ok || user != "alice" || left < 110*time.Minute || left > 2*time.Hour {
			t.Fatalf("username %q: want <token expiry>:alice", srv.Username)
		}
		if _, cred := turnserver.Credentials("op-secret", "alice", time.Unix(sec, 0)); srv.Credential != cred {
			t.Fatalf("credential of %v is not the REST API HMAC of the username", srv.URLs)
		}
	}

	// Without --turn-secret, --turn keeps the static pair.
	s2 := startServe(t, "--drain-delay", "0", "--turn", "turn:turn.example.org:3478", "--turn-username", "u", "--turn-credential", "p")
	c2 := dialAs(ctx, t, s2.addr, "bob", "b1")
	if got := c2.Hello().ICEServers; len(got) != 1 || got[0].Username != "u" || got[0].Credential != "p" {
		t.Fatalf("static TURN entry %+v", got)
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and
// localhost to dir and returns the two file names.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM := makeTestCert(t, "ringsfu test")
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func makeTestCert(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// servedCN returns the common name of the certificate served at addr.
func servedCN(t *testing.T, addr string) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reading the test's own certificate
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestHTTPSAndCertificateReload: with --tls-cert the HTTP listener serves
// HTTPS (health, web client, metrics) and WSS, and a new certificate is
// served after the files change and after SIGHUP.
func TestHTTPSAndCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir)
	s := startServe(t, "--drain-delay", "0", "--tls-cert", certFile, "--tls-key", keyFile, "--tls-watch-interval", "50ms")
	pem, _ := os.ReadFile(certFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, path := range []string{"/healthz", "/", "/metrics"} {
		resp, err := hc.Get("https://" + s.addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		resp.Body.Close()
		t.Fatal("plain HTTP answered on the TLS listener")
	}
	if cn := servedCN(t, s.addr); cn != "ringsfu test" {
		t.Fatalf("served %q", cn)
	}
	waitCN := func(addr, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for servedCN(t, addr) != want {
			if time.Now().After(deadline) {
				t.Fatalf("still serving the old certificate, want %q", want)
			}
			time.Sleep(20 * time.Millisecond) // polling the served certificate, with a deadline
		}
	}
	// Renewed on disk: picked up by the file watch.
	c2, k2 := makeTestCert(t, "renewed")
	if err := os.WriteFile(keyFile, k2, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, c2, 0o600); err != nil {
		t.Fatal(err)
	}
	waitCN(s.addr, "renewed")
	// SIGHUP: a server that would not look at the files for an hour
	// reloads at once.
	dir2 := t.TempDir()
	cert2, key2 := writeTestCert(t, dir2)
	s2 := startServe(t, "--drain-delay", "0", "--tls-cert", cert2, "--tls-key", key2, "--tls-watch-interval", "1h")
	c3, k3 := makeTestCert(t, "after sighup")
	if err := os.WriteFile(key2, k3, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert2, c3, 0o600); err != nil {
		t.Fatal(err)
	}
	if cn := servedCN(t, s2.addr); cn != "ringsfu test" {
		t.Fatalf("reloaded without a signal: %q", cn)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitCN(s2.addr, "after sighup")
}

// relayProtocol returns how the relay candidate c reaches its TURN server,
// from pc's stats.
func relayProtocol(pc *webrtc.PeerConnection, c *webrtc.ICECandidate) string {
	for _, st := range pc.GetStats() {
		if cs, ok := st.(webrtc.ICECandidateStats); ok && cs.Type == webrtc.StatsTypeLocalCandidate &&
			cs.IP == c.Address && int(cs.Port) == int(c.Port) {
			return cs.RelayProtocol
		}
	}
	return ""
}

// TestMediaResetAfterResumeTakesNewTURNCredentials: a Go client session
// moved onto a resumed connection (with a token that lives longer) builds
// its new PeerConnections, at a media reset, with the TURN credential of
// the new hello result, not the one its first connection got.
func TestMediaResetAfterResumeTakesNewTURNCredentials(t *testing.T) {
	s := startServe(t, "--drain-delay", "0", "--rtc-ip", "127.0.0.1", "--udp-port", freeLoopbackPort(t),
		"--turn-port", freeLoopbackPort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dial := func(ttl time.Duration, resume string) *client.Client {
		tok, err := signaling.Mint(signaling.MintOptions{AppID: devAppID, Secret: devSecret, UserID: "alice", TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.Dial(ctx, client.Config{URL: "ws://" + s.addr + "/v1/signal", Token: tok, DeviceID: "a1", Resume: resume})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	turnUser := func(pc *webrtc.PeerConnection) string {
		for _, srv := range pc.GetConfiguration().ICEServers {
			if srv.Username != "" {
				return srv.Username
			}
		}
		return ""
	}
	c1 := dial(time.Hour, "")
	bob := dialAs(ctx, t, s.addr, "bob", "b1")
	res, err := c1.Invite(ctx, signaling.InviteRequest{Type: "voice", Invitees: []signaling.User{{ID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Accept(ctx, res.CallID, ""); err != nil {
		t.Fatal(err)
	}
	sess, err := c1.StartMedia(ctx, res.CallID, client.MediaConfig{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	first := turnUser(sess.Publisher())
	if first == "" {
		t.Fatal("no TURN credential on the first PeerConnections")
	}
	_ = c1.Close()
	c2 := dial(3*time.Hour, c1.Hello().SessionID)
	if !c2.Hello().Resumed {
		t.Fatal("not resumed")
	}
	second := c2.Hello().ICEServers[0].Username
	if second == first {
		t.Fatalf("the resumed hello handed the same credential %q", first)
	}
	if err := sess.Attach(c2); err != nil {
		t.Fatal(err)
	}
	old := sess.Publisher()
	sess.Reset()
	deadline := time.Now().Add(20 * time.Second)
	for sess.Publisher() == old {
		if time.Now().After(deadline) {
			t.Fatal("no new PeerConnections after Reset")
		}
		time.Sleep(20 * time.Millisecond) // polling the session, with a deadline
	}
	if got := turnUser(sess.Publisher()); got != second {
		t.Fatalf("new PeerConnections use TURN username %q, want the resumed session's %q (first %q)", got, second, first)
	}
}
