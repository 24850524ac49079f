package turnserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

const testSecret = "test-turn-secret"

var loopback = net.IPv4(127, 0, 0, 1)

// listenUDP opens a UDP socket on a free loopback port: a stand-in for the
// SFU's media port, or for some other service on the same host.
func listenUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// freePort returns a port free for both UDP and TCP on loopback at the time
// of the call.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback})
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", itoa(port)))
		_ = u.Close()
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// startServer starts a Server on loopback whose only media port is sfuPort.
func startServer(t *testing.T, sfuPort int, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{RelayIP: loopback, Port: freePort(t), Secret: testSecret, Peers: Peers{UDPPort: sfuPort}}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newClient returns a pion/turn client on conn (UDP when nil) with the
// given credentials, listening.
func newClient(t *testing.T, s *Server, conn net.PacketConn, user, pass string) *turn.Client {
	t.Helper()
	addr := s.Addrs()[0].String()
	if conn == nil {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	}
	t.Cleanup(func() { _ = conn.Close() })
	cl, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: user, Password: pass, Realm: "ringsfu", RTO: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// roundTrip sends ping through relay to sfu, and pong back, and checks both.
// The payloads are longer than 4 bytes: pion/turn's STUNConn (the client's
// TCP framing) waits for more data after a ChannelData frame of 8 bytes.
func roundTrip(t *testing.T, relay net.PacketConn, sfu *net.UDPConn) {
	t.Helper()
	_ = sfu.SetReadDeadline(time.Now().Add(10 * time.Second))
	_ = relay.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := relay.WriteTo([]byte("ping-1"), sfu.LocalAddr()); err != nil {
		t.Fatalf("relay write: %v", err)
	}
	buf := make([]byte, 1500)
	n, from, err := sfu.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping-1" {
		t.Fatalf("sfu read: %q, %v", buf[:n], err)
	}
	if from.String() != relay.LocalAddr().String() {
		t.Fatalf("datagram came from %s, want the relay address %s", from, relay.LocalAddr())
	}
	if _, err := sfu.WriteTo([]byte("pong-1"), from); err != nil {
		t.Fatal(err)
	}
	n, from, err = relay.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "pong-1" || from.String() != sfu.LocalAddr().String() {
		t.Fatalf("relay read: %q from %v, %v", buf[:n], from, err)
	}
}

func TestRelayReachesTheMediaPort(t *testing.T) {
	sfu := listenUDP(t)
	s := startServer(t, sfu.LocalAddr().(*net.UDPAddr).Port, nil)
	user, pass := Credentials(testSecret, "alice", time.Now().Add(time.Hour))
	relay, err := newClient(t, s, nil, user, pass).Allocate()
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	defer relay.Close()
	if ip := relay.LocalAddr().(*net.UDPAddr).IP; !ip.Equal(loopback) {
		t.Fatalf("relay address %s is not on the relay IP", relay.LocalAddr())
	}
	roundTrip(t, relay, sfu)
	st := s.Stats()
	// The server counts a datagram after its send returns, which may be
	// after the answer has arrived.
	waitFor(t, "the relayed bytes counted", func() bool {
		return st.BytesToPeers.Load() == 6 && st.BytesFromPeers.Load() == 6
	})
	if n := st.Allocations.Load(); n != 1 {
		t.Fatalf("allocations %d", n)
	}
	_ = relay.Close() // deallocates (refresh with lifetime 0)
	waitFor(t, "the allocation to end", func() bool { return st.AllocationsEnded.Load() == 1 })
}

func TestNotAnOpenRelay(t *testing.T) {
	sfu := listenUDP(t)
	other := listenUDP(t) // another service on the same host
	s := startServer(t, sfu.LocalAddr().(*net.UDPAddr).Port, nil)
	user, pass := Credentials(testSecret, "mallory", time.Now().Add(time.Hour))
	cl := newClient(t, s, nil, user, pass)
	relay, err := cl.Allocate()
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	defer relay.Close()

	// Another host: the permission itself is refused (403).
	err = cl.CreatePermission(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("permission for another host: %v, want 403", err)
	}
	if n := s.Stats().PermissionRefusals.Load(); n != 1 {
		t.Fatalf("permission refusals %d, want 1", n)
	}
	// The SFU's IP but not a media port: the datagram is dropped.
	if _, err := relay.WriteTo([]byte("attack"), other.LocalAddr()); err != nil {
		t.Fatalf("relay write: %v", err)
	}
	// Nor another relay address of this server.
	relay2, err := newClient(t, s, nil, user, pass).Allocate()
	if err != nil {
		t.Fatalf("second allocate: %v", err)
	}
	defer relay2.Close()
	if _, err := relay.WriteTo([]byte("loop"), relay2.LocalAddr()); err != nil {
		t.Fatalf("relay write: %v", err)
	}
	// The media port still works; the server handles one client's
	// datagrams in order, so the refusals are counted by now.
	roundTrip(t, relay, sfu)
	waitFor(t, "two peer refusals", func() bool { return s.Stats().PeerRefusals.Load() == 2 })
	_ = other.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := other.ReadFrom(make([]byte, 100)); err == nil {
		t.Fatalf("the other service received %d bytes through the relay", n)
	}
	_ = relay2.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := relay2.ReadFrom(make([]byte, 100)); err == nil {
		t.Fatalf("the other relay received %d bytes", n)
	}
}

func TestCredentialsRefused(t *testing.T) {
	sfu := listenUDP(t)
	s := startServer(t, sfu.LocalAddr().(*net.UDPAddr).Port, nil)
	for _, tc := range []struct {
		name       string
		user, pass string
	}{
		{"expired", "", ""},
		{"forged", "", ""},
		{"malformed", "alice", "whatever"},
		{"other user's credential", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch tc.name {
			case "expired":
				tc.user, tc.pass = Credentials(testSecret, "alice", time.Now().Add(-time.Second))
			case "forged":
				tc.user, tc.pass = Credentials("not-the-secret", "alice", time.Now().Add(time.Hour))
			case "other user's credential":
				_, tc.pass = Credentials(testSecret, "bob", time.Now().Add(time.Hour))
				tc.user, _ = Credentials(testSecret, "alice", time.Now().Add(time.Hour))
			}
			before := s.Stats().AuthRefusals.Load()
			if relay, err := newClient(t, s, nil, tc.user, tc.pass).Allocate(); err == nil {
				_ = relay.Close()
				t.Fatal("allocation granted")
			}
			if s.Stats().AuthRefusals.Load() <= before {
				t.Fatal("refusal not counted")
			}
		})
	}
	if n := s.Stats().Allocations.Load(); n != 0 {
		t.Fatalf("%d allocations made", n)
	}
}

func TestAllocationQuota(t *testing.T) {
	sfu := listenUDP(t)
	s := startServer(t, sfu.LocalAddr().(*net.UDPAddr).Port, func(c *Config) { c.MaxAllocationsPerUser = 1 })
	user, pass := Credentials(testSecret, "alice", time.Now().Add(time.Hour))
	relay, err := newClient(t, s, nil, user, pass).Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	if r, err := newClient(t, s, nil, user, pass).Allocate(); err == nil || !strings.Contains(err.Error(), "486") {
		if r != nil {
			_ = r.Close()
		}
		t.Fatalf("second allocation of the same user: %v, want 486", err)
	}
	if n := s.Stats().QuotaRefusals.Load(); n != 1 {
		t.Fatalf("quota refusals %d", n)
	}
	// Another user is not affected.
	user2, pass2 := Credentials(testSecret, "bob", time.Now().Add(time.Hour))
	relay2, err := newClient(t, s, nil, user2, pass2).Allocate()
	if err != nil {
		t.Fatalf("bob: %v", err)
	}
	_ = relay2.Close()
}

func TestBandwidthCap(t *testing.T) {
	sfu := listenUDP(t)
	s := startServer(t, sfu.LocalAddr().(*net.UDPAddr).Port, func(c *Config) { c.BytesPerSecond = 3000 })
	user, pass := Credentials(testSecret, "alice", time.Now().Add(time.Hour))
	relay, err := newClient(t, s, nil, user, pass).Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := sfu.ReadFrom(buf)
			if err != nil {
				return
			}
			got.Add(int64(n))
		}
	}()
	payload := make([]byte, 1000)
	for range 20 {
		if _, err := relay.WriteTo(payload, sfu.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "drops", func() bool { return s.Stats().BandwidthDrops.Load() > 0 })
	_ = sfu.SetReadDeadline(time.Now()) // ends the reader
	<-done
	if sent := s.Stats().BytesToPeers.Load(); sent > 10_000 {
		t.Fatalf("%d bytes relayed within about one second at a 3000 B/s cap", sent)
	}
}

// testCert makes a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ringsfu test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{loopback}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestRelayOverTCPAndTLS(t *testing.T) {
	sfu := listenUDP(t)
	cert := testCert(t)
	s := startServer(t, sfu.LocalAddr().(*net.UDPAddr).Port, func(c *Config) {
		c.TLSPort = freePort(t)
		c.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	})
	user, pass := Credentials(testSecret, "alice", time.Now().Add(time.Hour))
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	for _, tc := range []struct {
		name string
		dial func() (net.Conn, error)
	}{
		{"tcp", func() (net.Conn, error) { return net.Dial("tcp4", s.Addrs()[1].String()) }},
		{"tls", func() (net.Conn, error) {
			return tls.Dial("tcp4", s.Addrs()[2].String(), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.dial()
			if err != nil {
				t.Fatal(err)
			}
			relay, err := newClient(t, s, turn.NewSTUNConn(c), user, pass).Allocate()
			if err != nil {
				t.Fatalf("allocate over %s: %v", tc.name, err)
			}
			defer relay.Close()
			roundTrip(t, relay, sfu)
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{
		{Port: 3478, Secret: "s"},
		{RelayIP: loopback, Port: 3478},
		{RelayIP: loopback, Secret: "s"},
		{RelayIP: loopback, Secret: "s", TLSPort: 5349},
	} {
		if s, err := New(c); !errors.Is(err, ErrConfig) {
			if s != nil {
				_ = s.Close()
			}
			t.Errorf("New(%+v): %v, want ErrConfig", c, err)
		}
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
