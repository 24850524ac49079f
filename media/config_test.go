package media

import (
	"errors"
	"net"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	local := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.1.2.3")}
	tests := []struct {
		name    string
		cfg     Config
		kind    rtcIPKind
		wantErr error
	}{
		{name: "zero value", cfg: Config{}, kind: rtcIPAny},
		{name: "loopback", cfg: Config{RTCIP: "127.0.0.1"}, kind: rtcIPLoopback},
		{name: "other loopback", cfg: Config{RTCIP: "127.0.0.2"}, kind: rtcIPLoopback},
		{name: "local interface", cfg: Config{RTCIP: "10.1.2.3"}, kind: rtcIPLocal},
		{name: "public behind NAT", cfg: Config{RTCIP: "203.0.113.7"}, kind: rtcIPNAT},
		{name: "ipv6 refused", cfg: Config{RTCIP: "::1"}, wantErr: ErrInvalidRTCIP},
		{name: "garbage refused", cfg: Config{RTCIP: "example.com"}, wantErr: ErrInvalidRTCIP},
		{name: "port", cfg: Config{UDPPort: 5000}, kind: rtcIPAny},
		{name: "range", cfg: Config{UDPPortMin: 5000, UDPPortMax: 5100}, kind: rtcIPAny},
		{name: "port and range", cfg: Config{UDPPort: 5000, UDPPortMin: 1, UDPPortMax: 2}, wantErr: ErrInvalidPorts},
		{name: "half range", cfg: Config{UDPPortMin: 5000}, wantErr: ErrInvalidPorts},
		{name: "inverted range", cfg: Config{UDPPortMin: 6000, UDPPortMax: 5000}, wantErr: ErrInvalidPorts},
		{name: "negative port", cfg: Config{UDPPort: -1}, wantErr: ErrInvalidPorts},
		{name: "port too large", cfg: Config{UDPPort: 70000}, wantErr: ErrInvalidPorts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, kind, err := tt.cfg.validate(local)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if kind != tt.kind {
				t.Fatalf("kind = %v, want %v", kind, tt.kind)
			}
		})
	}
}
