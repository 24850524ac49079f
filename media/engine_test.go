package media

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// freeUDPPort finds a UDP port that is free on 127.0.0.1 right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// gatherCandidates creates an offer on a fresh PeerConnection and returns
// the candidate lines of the complete SDP.
func gatherCandidates(t *testing.T, api *webrtc.API) []string {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ICE gathering did not complete")
	}
	var out []string
	for _, l := range strings.Split(pc.LocalDescription().SDP, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

func TestEngineLoopbackCandidatesOnly(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"ephemeral", Config{RTCIP: "127.0.0.1"}},
		{"port range", Config{RTCIP: "127.0.0.1", UDPPortMin: 40000, UDPPortMax: 40100}},
		{"udp mux", Config{RTCIP: "127.0.0.1", UDPPort: freeUDPPort(t)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = e.Close() }()
			cands := gatherCandidates(t, e.API())
			if len(cands) == 0 {
				t.Fatal("no candidates gathered")
			}
			for _, c := range cands {
				f := strings.Fields(c)
				if len(f) < 8 || f[4] != "127.0.0.1" || f[2] != "udp" && f[2] != "UDP" {
					t.Fatalf("candidate outside 127.0.0.1/udp: %s", c)
				}
				if tc.cfg.UDPPort > 0 && f[5] != itoa(tc.cfg.UDPPort) {
					t.Fatalf("candidate not on mux port %d: %s", tc.cfg.UDPPort, c)
				}
			}
		})
	}
}

func TestEngineNATRewrite(t *testing.T) {
	e, err := New(Config{RTCIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Close() }()
	for _, c := range gatherCandidates(t, e.API()) {
		if f := strings.Fields(c); f[4] != "203.0.113.7" {
			t.Fatalf("candidate does not carry the NAT address: %s", c)
		}
	}
}

func TestEngineCloseIdempotentAndReleasesPort(t *testing.T) {
	port := freeUDPPort(t)
	e, err := New(Config{RTCIP: "127.0.0.1", UDPPort: port})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{RTCIP: "127.0.0.1", UDPPort: port}); err == nil {
		t.Fatal("second engine on the same port succeeded")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	e2, err := New(Config{RTCIP: "127.0.0.1", UDPPort: port})
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	_ = e2.Close()
}

func TestEngineRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{RTCIP: "::1"}); !errors.Is(err, ErrInvalidRTCIP) {
		t.Fatalf("err = %v, want ErrInvalidRTCIP", err)
	}
	if _, err := New(Config{UDPPort: 1, UDPPortMin: 1, UDPPortMax: 2}); !errors.Is(err, ErrInvalidPorts) {
		t.Fatalf("err = %v, want ErrInvalidPorts", err)
	}
}

func TestCodecTables(t *testing.T) {
	video := VideoCodecs()
	seen := map[webrtc.PayloadType]bool{}
	for i, c := range video {
		if seen[c.PayloadType] {
			t.Fatalf("duplicate payload type %d", c.PayloadType)
		}
		seen[c.PayloadType] = true
		if i%2 == 1 {
			if c.MimeType != webrtc.MimeTypeRTX || c.SDPFmtpLine != "apt="+itoa(int(video[i-1].PayloadType)) {
				t.Fatalf("entry %d is not the RTX of %d: %+v", i, video[i-1].PayloadType, c)
			}
			continue
		}
		fb := map[string]bool{}
		for _, f := range c.RTCPFeedback {
			fb[f.Type+" "+f.Parameter] = true
		}
		for _, want := range []string{"nack ", "nack pli", "ccm fir", "goog-remb ", "transport-cc "} {
			if !fb[want] {
				t.Fatalf("%s %s lacks feedback %q", c.MimeType, c.SDPFmtpLine, want)
			}
		}
	}
	var have []string
	for _, c := range video {
		have = append(have, c.MimeType+";"+c.SDPFmtpLine)
	}
	all := strings.Join(have, "\n")
	for _, want := range []string{"video/VP8;", "video/VP9;", "profile-level-id=42e01f", "profile-level-id=42001f", "video/AV1;"} {
		if !strings.Contains(all, want) {
			t.Fatalf("video codecs lack %q", want)
		}
	}
	if a := AudioCodecs(); len(a) != 1 || a[0].MimeType != webrtc.MimeTypeOpus {
		t.Fatalf("audio codecs = %+v", a)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoggerFactoryLevels(t *testing.T) {
	var buf syncBuffer
	log := zerolog.New(&buf).Level(zerolog.DebugLevel)
	l := NewLoggerFactory(log).NewLogger("ice")
	l.Trace("t")
	l.Tracef("t%d", 1)
	l.Debug("d")
	l.Debugf("d%d", 1)
	l.Info("info-msg")
	l.Infof("info-%d", 2)
	l.Warn("warn-msg")
	l.Warnf("warn-%d", 3)
	l.Error("err-msg")
	l.Errorf("err-%d", 4)
	out := buf.String()
	for _, want := range []string{
		`"level":"debug","pion":"ice","message":"info-msg"`,
		`"message":"info-2"`,
		`"level":"warn","pion":"ice","message":"warn-msg"`,
		`"message":"warn-3"`,
		`"level":"error","pion":"ice","message":"err-msg"`,
		`"message":"err-4"`,
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("log output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"message":"t"`) || strings.Contains(out, `"message":"d"`) {
		t.Fatalf("pion trace/debug leaked at debug level:\n%s", out)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
