package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"github.com/ringsfu/ringsfu/media/turnserver"
)

// turnClient returns a pion/turn client of the server at addr over UDP.
func turnClient(t *testing.T, addr, user, pass string) *turn.Client {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	cl, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: user, Password: pass, Realm: "ringsfu", RTO: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestEmbeddedTURNIsNotAnOpenRelay: with the credential of its own hello
// result a client can allocate, but not get a permission for another host
// (403) nor have datagrams relayed to a port of this host that is not the
// SFU's media port; expired and forged credentials are refused; /metrics
// counts each refusal.
func TestEmbeddedTURNIsNotAnOpenRelay(t *testing.T) {
	turnPort := freeLoopbackPort(t)
	s := startServe(t, "--drain-delay", "0", "--rtc-ip", "127.0.0.1", "--udp-port", freeLoopbackPort(t), "--turn-port", turnPort)
	turnAddr := "127.0.0.1:" + turnPort
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hello := dialAs(ctx, t, s.addr, "mallory", "m1").Hello()
	srv := hello.ICEServers[len(hello.ICEServers)-1]

	cl := turnClient(t, turnAddr, srv.Username, srv.Credential)
	relay, err := cl.Allocate()
	if err != nil {
		t.Fatalf("allocate with the hello credential: %v", err)
	}
	defer relay.Close()
	if err := cl.CreatePermission(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 53}); err == nil ||
		!strings.Contains(err.Error(), "403") {
		t.Fatalf("permission for another host: %v, want 403", err)
	}
	victim, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	if _, err := relay.WriteTo([]byte("flood!"), victim.LocalAddr()); err != nil {
		t.Fatal(err)
	}

	secret := deriveTURNSecret(devSecret)
	expUser, expPass := turnserver.Credentials(secret, "mallory", time.Now().Add(-time.Minute))
	forgedUser, forgedPass := turnserver.Credentials("guessed", "mallory", time.Now().Add(time.Hour))
	for name, c := range map[string][2]string{"expired": {expUser, expPass}, "forged": {forgedUser, forgedPass}} {
		if r, err := turnClient(t, turnAddr, c[0], c[1]).Allocate(); err == nil {
			_ = r.Close()
			t.Fatalf("%s credential: allocation granted", name)
		}
	}

	count := func(reason string) float64 {
		v, _ := strconv.ParseFloat(metric(t, "http", s.addr, `ringsfu_turn_refusals_total{reason="`+reason+`"}`), 64)
		return v
	}
	deadline := time.Now().Add(15 * time.Second)
	for count("permission") < 1 || count("peer") < 1 || count("auth") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("refusals: permission %v, peer %v, auth %v", count("permission"), count("peer"), count("auth"))
		}
		time.Sleep(20 * time.Millisecond) // polling /metrics, with a deadline
	}
	_ = victim.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := victim.ReadFrom(make([]byte, 64)); err == nil {
		t.Fatalf("the relay delivered %d bytes to a port that is not the SFU's", n)
	}
	if v := metric(t, "http", s.addr, "ringsfu_turn_allocations"); v != "1" {
		t.Fatalf("live allocations %q, want 1", v)
	}
}
