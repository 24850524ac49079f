package main

import (
	"io"
	"strings"
	"testing"
)

func TestNetworkFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--tls-cert", "c.pem"}, "go together"},
		{[]string{"--turn-tls-port", "5349"}, "needs --tls-cert"},
		{[]string{"--app-secret", "s", "--app-id", "a", "--turn-port", "3478"}, "need --rtc-ip"},
		{[]string{"--turn-port", "70000"}, "want 0 (off) or a port"},
		{[]string{"--turn-max-allocations", "0"}, "at least 1"},
		{[]string{"--turn-max-bitrate", "-1"}, "must not be negative"},
		{[]string{"--turn-credential-ttl", "10s"}, "at least 1m"},
	} {
		_, err := parseServeFlags(tc.args, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.wantErr)
		}
	}
	// Dev mode: --rtc-ip defaults to loopback, so TURN needs nothing else.
	c, err := parseServeFlags([]string{"--turn-port", "3478", "--tcp-port", "7881"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n := c.Network
	if n.TURNPort != 3478 || n.TCPPort != 7881 || n.TURNTLSHost != "127.0.0.1" || n.TURNSecretGiven ||
		n.TURNSecret != deriveTURNSecret(devSecret) || n.TURNSecret == devSecret {
		t.Fatalf("network config %+v", n)
	}
	// The secret from the environment counts as given.
	c, err = parseServeFlags(nil, env(map[string]string{"RINGSFU_TURN_SECRET": "x"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Network.TURNSecret != "x" || !c.Network.TURNSecretGiven {
		t.Fatalf("network config %+v", c.Network)
	}
}
