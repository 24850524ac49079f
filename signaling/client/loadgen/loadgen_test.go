package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/signaling"
)

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, u := range []string{"ws://10.0.0.1:8080/v1/signal", "ws://example.com/v1/signal", "ws://192.168.1.2/v1/signal"} {
		cfg := Config{URL: u, Calls: 1, Members: 2}
		if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "non-loopback") {
			t.Errorf("%s: want refusal, got %v", u, err)
		}
	}
	cfg := Config{URL: "ws://127.0.0.1:1/v1/signal", Calls: 1, Members: 2}
	if err := cfg.validate(); err != nil || cfg.MetricsURL != "http://127.0.0.1:1/metrics" {
		t.Fatalf("loopback: %v %q", err, cfg.MetricsURL)
	}
}

func TestSequenceUnwrapAndLoss(t *testing.T) {
	st := trackStats{counter: &rtpCounter{}}
	seqs := []uint16{65530, 65531, 65533, 65535, 0, 1, 3}
	for _, s := range seqs {
		st.counter.add(s, 100)
	}
	sn := st.snap()
	if sn.packets != 7 || sn.highest != 65536+3 {
		t.Fatalf("snapshot: %+v", sn)
	}
	// 65530..65539 is 10 packets expected, 7 received.
	if exp := sn.highest - 65530 + 1; exp != 10 {
		t.Fatalf("expected %d", exp)
	}
}

func TestTapCountsRTPAndPassesASample(t *testing.T) {
	c := &tapConn{counters: newRTPCounters()}
	pkt := func(seq uint16, ext bool) []byte {
		b := make([]byte, 100)
		b[0], b[1] = 0x80, 96
		if ext {
			b[0] |= 0x10
			b[14], b[15] = 0, 1 // one 32-bit word of extension
		}
		b[2], b[3] = byte(seq>>8), byte(seq)
		b[8], b[9], b[10], b[11] = 1, 2, 3, 4
		return b
	}
	passed := 0
	for i := 0; i < 8+64; i++ {
		if c.pass(pkt(uint16(i), i%2 == 0)) {
			passed++
		}
	}
	if passed != sampleLead+64/sampleEvery {
		t.Fatalf("passed %d", passed)
	}
	sn := c.counters.get(0x01020304).snap()
	if sn.packets != 72 || sn.highest != 71 {
		t.Fatalf("counter %+v", sn)
	}
	// 36 packets with a 20-byte header, 36 with 12: payload minus tag.
	if want := uint64(36*(100-20-srtpTagLen) + 36*(100-12-srtpTagLen)); sn.bytes != want {
		t.Fatalf("bytes %d, want %d", sn.bytes, want)
	}
	// RTCP (a sender report, type 200), STUN and DTLS pass uncounted.
	rtcp := []byte{0x80, 200, 0, 6, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0}
	stun := []byte{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	dtls := []byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, d := range [][]byte{rtcp, stun, dtls} {
		if !c.pass(d) {
			t.Fatalf("% x not passed", d)
		}
	}
	if len(c.counters.bySSR) != 1 {
		t.Fatalf("counted non-RTP: %d SSRCs", len(c.counters.bySSR))
	}
}

func TestSyntheticPayloadCarriesSendTime(t *testing.T) {
	s := &source{shape: cameraLayers[2]}
	buf := make([]byte, 1250)
	before := time.Now().UnixNano()
	n := s.fill(buf, true, true)
	got, ok := sendTime(buf[:n])
	if !ok || got < before || got > time.Now().UnixNano() {
		t.Fatalf("send time %d ok=%v", got, ok)
	}
	if buf[0] != 0x10 || buf[1]&0x01 != 0 {
		t.Fatalf("keyframe start must carry S=1 and P=0: % x", buf[:4])
	}
	n = s.fill(buf, true, false)
	if buf[1]&0x01 != 1 {
		t.Fatal("delta frame must carry P=1")
	}
	if _, ok := sendTime(buf[:n]); !ok {
		t.Fatal("no send time in delta frame")
	}
}

func TestRunMeasuresARealCall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real PeerConnections")
	}
	eng, err := media.New(media.Config{RTCIP: "127.0.0.1", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := signaling.New(signaling.Config{AppID: "a", AppSecret: "s", MediaAPI: eng.API(), Logger: zerolog.Nop(), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/signal", srv)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	defer srv.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, Config{URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/v1/signal", AppID: "a", Secret: "s",
		Calls: 1, Members: 3, Publishers: 1, Video: VideoSimulcast, Audio: true, Duration: 1500 * time.Millisecond,
		Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Subscribers != 2 || rep.Tracks["video"].Count != 2 || rep.Tracks["audio"].Count != 2 {
		t.Fatalf("report: %+v", rep)
	}
	// One publisher: 150 (top layer) + 50 (audio) packets/s to each of 2
	// subscribers, 400/s in all. The bounds are loose because the pacing
	// goroutines share a loaded machine; more than nominal would mean a
	// counting error, far less that a layer is missing.
	if rep.PacketsOutPerSec < 100 || rep.PacketsOutPerSec > 440 {
		t.Fatalf("packets out %.0f/s, want about 400", rep.PacketsOutPerSec)
	}
	// Pion decrypted a sample, all of it the synthetic payload.
	if rep.SampledPackets < 20 || rep.IntegrityErrors != 0 || rep.ServerUSPerPacket <= 0 || rep.ServerCoresPerCall <= 0 {
		t.Fatalf("report: %+v", rep)
	}
	if rep.LatencyMsP50 <= 0 || rep.JoinMsP50 <= 0 || rep.ServerRSSBytes <= 0 || rep.LoadgenCPUCores <= 0 {
		t.Fatalf("report: %+v", rep)
	}
	// The server's own media metrics saw the same traffic.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[mf.GetName()] += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[mf.GetName()] += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	if got["ringsfu_rtp_packets_in_total"] < 100 || got["ringsfu_rtp_packets_out_total"] < 100 ||
		got["ringsfu_rtp_bytes_out_total"] < 10000 || got["ringsfu_forward_latency_seconds"] < 1 {
		t.Fatalf("media metrics: %v", got)
	}
}
