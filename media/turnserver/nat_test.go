package turnserver

import (
	"net"
	"testing"
	"time"
)

// TestRelayBehindNAT: the announced relay IP (a public address in front of
// a 1:1 NAT, here 127.0.0.2) is not where this host reaches the SFU
// (MediaIP, here 127.0.0.1). Datagrams to the announced IP's media port go
// to the SFU on MediaIP, and its answers reach the client as coming from
// the announced address, the one the client has a permission for.
func TestRelayBehindNAT(t *testing.T) {
	sfu := listenUDP(t)
	sfuPort := sfu.LocalAddr().(*net.UDPAddr).Port
	public := net.IPv4(127, 0, 0, 2)
	s := startServer(t, sfuPort, func(c *Config) {
		c.RelayIP, c.ListenIP, c.MediaIP = public, loopback, loopback
	})
	user, pass := Credentials(testSecret, "alice", time.Now().Add(time.Hour))
	relay, err := newClient(t, s, nil, user, pass).Allocate()
	if err != nil {
		t.Fatalf("allocate: %v", err)
	}
	defer relay.Close()
	if ip := relay.LocalAddr().(*net.UDPAddr).IP; !ip.Equal(public) {
		t.Fatalf("relay address %s does not carry the announced IP", relay.LocalAddr())
	}
	announced := &net.UDPAddr{IP: public, Port: sfuPort}
	_ = sfu.SetReadDeadline(time.Now().Add(10 * time.Second))
	_ = relay.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := relay.WriteTo([]byte("ping-1"), announced); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, from, err := sfu.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping-1" {
		t.Fatalf("sfu read %q, %v", buf[:n], err)
	}
	if _, err := sfu.WriteTo([]byte("pong-1"), from); err != nil {
		t.Fatal(err)
	}
	n, src, err := relay.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "pong-1" || src.String() != announced.String() {
		t.Fatalf("client read %q from %v, %v; want pong-1 from %s", buf[:n], src, err, announced)
	}
}
