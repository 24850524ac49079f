package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"time"
)

// Report is what a run measured. JSON keys are stable: scripts and the
// README's Performance table read them.
type Report struct {
	Calls             int     `json:"calls"`
	Members           int     `json:"members"`
	Publishers        int     `json:"publishers"`
	Subscribers       int     `json:"subscribers"`
	DurationSeconds   float64 `json:"duration_seconds"`
	ServerCPUCores    float64 `json:"server_cpu_cores"`
	ServerRSSBytes    float64 `json:"server_rss_bytes"`
	ServerRSSPerSub   float64 `json:"server_rss_bytes_per_subscriber"`
	PacketsOutPerSec  float64 `json:"packets_out_per_sec"`
	PacketsOutPerCore float64 `json:"packets_out_per_core"`
	// ServerUSPerPacket is the server's CPU time per packet received by
	// the subscribers, in microseconds; ServerCoresPerCall is the server's
	// CPU divided by the calls.
	ServerUSPerPacket  float64 `json:"server_us_per_packet"`
	ServerCoresPerCall float64 `json:"server_cores_per_call"`
	// LoadgenUSPerPacket is the load generator's own CPU time per packet
	// received, for comparison with the server's.
	LoadgenUSPerPacket float64 `json:"loadgen_us_per_packet"`
	BitsOutPerSec      float64 `json:"bits_out_per_sec"`
	LossRatio          float64 `json:"loss_ratio"`
	JoinMsP50          float64 `json:"join_ms_p50"`
	JoinMsP99          float64 `json:"join_ms_p99"`
	LatencyMsP50       float64 `json:"latency_ms_p50"`
	LatencyMsP99       float64 `json:"latency_ms_p99"`
	LoadgenCPUCores    float64 `json:"loadgen_cpu_cores"`
	LoadgenRSSBytes    float64 `json:"loadgen_rss_bytes"`
	SetupSeconds       float64 `json:"setup_seconds"`
	// SampledPackets were decrypted by Pion and checked; IntegrityErrors
	// of them lacked the synthetic payload. Counts and loss come from the
	// clear RTP header of every packet (tap.go).
	SampledPackets  uint64 `json:"sampled_packets"`
	IntegrityErrors uint64 `json:"integrity_errors"`
	// Tracks summarizes received tracks by kind.
	Tracks map[string]TrackSummary `json:"tracks"`
}

// TrackSummary is the per-track average over every subscriber of a kind.
type TrackSummary struct {
	Count         int     `json:"count"`
	PacketsPerSec float64 `json:"packets_per_sec"`
	BitrateBps    float64 `json:"bitrate_bps"`
	LossRatio     float64 `json:"loss_ratio"`
}

// measure runs the measurement window and builds the report.
func measure(ctx context.Context, cfg *Config, all []*member, setup time.Duration) (*Report, error) {
	type pair struct {
		t     *trackStats
		start snapshot
	}
	var ps []pair
	for _, m := range all {
		for _, t := range m.receivedTracks() {
			t.resetLatency()
			ps = append(ps, pair{t: t, start: t.snap()})
		}
	}
	srv0, err := serverUsage(cfg)
	if err != nil {
		return nil, err
	}
	self0 := selfUsage()
	stopProfile, err := startCPUProfile(cfg.CPUProfile)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		stopProfile()
		return nil, ctx.Err()
	case <-time.After(cfg.Duration):
	}
	stopProfile()
	srv1, err := serverUsage(cfg)
	if err != nil {
		return nil, err
	}
	self1 := selfUsage()
	secs := srv1.at.Sub(srv0.at).Seconds()

	r := &Report{Calls: cfg.Calls, Members: len(all), Publishers: cfg.Publishers * cfg.Calls, DurationSeconds: secs,
		ServerCPUCores: cores(srv0, srv1), ServerRSSBytes: float64(srv1.rss), LoadgenCPUCores: cores(self0, self1),
		LoadgenRSSBytes: float64(self1.rss), SetupSeconds: setup.Seconds(), Tracks: map[string]TrackSummary{}}
	var pkts, bytes, expected, lost float64
	var lat []float64
	kinds := map[string]*TrackSummary{}
	for _, p := range ps {
		end := p.t.snap()
		dp := float64(end.packets - p.start.packets)
		exp := float64(end.highest - p.start.highest)
		l := exp - dp
		if l < 0 {
			l = 0
		}
		pkts += dp
		r.SampledPackets += end.sampled - p.start.sampled
		r.IntegrityErrors += end.corrupt - p.start.corrupt
		bytes += float64(end.bytes - p.start.bytes)
		expected += exp
		lost += l
		k := kinds[p.t.kind]
		if k == nil {
			k = &TrackSummary{}
			kinds[p.t.kind] = k
		}
		k.Count++
		k.PacketsPerSec += dp / secs
		k.BitrateBps += float64(end.bytes-p.start.bytes) * 8 / secs
		k.LossRatio += l
		for _, v := range p.t.latencies() {
			lat = append(lat, float64(v)/1000)
		}
	}
	for name, k := range kinds {
		n := float64(k.Count)
		r.Tracks[name] = TrackSummary{Count: k.Count, PacketsPerSec: k.PacketsPerSec / n, BitrateBps: k.BitrateBps / n,
			LossRatio: k.LossRatio / (k.PacketsPerSec*secs + k.LossRatio + 1e-9)}
	}
	for _, m := range all {
		if len(m.receivedTracks()) > 0 {
			r.Subscribers++
		}
	}
	r.PacketsOutPerSec = pkts / secs
	r.BitsOutPerSec = bytes * 8 / secs
	if r.ServerCPUCores > 0 {
		r.PacketsOutPerCore = r.PacketsOutPerSec / r.ServerCPUCores
	}
	if r.PacketsOutPerSec > 0 {
		r.ServerUSPerPacket = r.ServerCPUCores * 1e6 / r.PacketsOutPerSec
		r.LoadgenUSPerPacket = r.LoadgenCPUCores * 1e6 / r.PacketsOutPerSec
	}
	r.ServerCoresPerCall = r.ServerCPUCores / float64(max(1, r.Calls))
	if r.Subscribers > 0 {
		r.ServerRSSPerSub = r.ServerRSSBytes / float64(r.Subscribers)
	}
	if expected > 0 {
		r.LossRatio = lost / expected
	}
	lat = sortedFloats(lat)
	r.LatencyMsP50, r.LatencyMsP99 = percentile(lat, 0.5), percentile(lat, 0.99)
	var joins []float64
	for _, m := range all {
		m.mu.Lock()
		if !m.firstMedia.IsZero() && !m.joinAt.IsZero() {
			joins = append(joins, float64(m.firstMedia.Sub(m.joinAt).Microseconds())/1000)
		}
		m.mu.Unlock()
	}
	sort.Float64s(joins)
	r.JoinMsP50, r.JoinMsP99 = percentile(joins, 0.5), percentile(joins, 0.99)
	return r, nil
}

// startCPUProfile profiles this process into path until the returned
// function is called; with an empty path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("loadgen: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("loadgen: cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// serverUsage reads the server's CPU and RSS.
func serverUsage(cfg *Config) (usage, error) {
	if cfg.ServerPID > 0 {
		return procUsage(cfg.ServerPID)
	}
	return metricsUsage(cfg.MetricsURL)
}

// WriteJSON prints the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	return nil
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, `calls %d, members %d, publishers %d, subscribers %d, window %.1fs (setup %.1fs)
server: %.2f cores (%.4f per call), RSS %.1f MB (%.2f MB per subscriber)
out: %.0f packets/s (%.0f per server core, %.2f µs server CPU per packet), %.1f Mbit/s, loss %.4f%%
join (invite → first media): p50 %.0f ms, p99 %.0f ms
latency (send → receive): p50 %.2f ms, p99 %.2f ms
load generator: %.2f cores (%.2f µs per packet), RSS %.1f MB; %d packets decrypted and checked, %d corrupt
`, r.Calls, r.Members, r.Publishers, r.Subscribers, r.DurationSeconds, r.SetupSeconds,
		r.ServerCPUCores, r.ServerCoresPerCall, r.ServerRSSBytes/1e6, r.ServerRSSPerSub/1e6,
		r.PacketsOutPerSec, r.PacketsOutPerCore, r.ServerUSPerPacket, r.BitsOutPerSec/1e6, r.LossRatio*100,
		r.JoinMsP50, r.JoinMsP99, r.LatencyMsP50, r.LatencyMsP99, r.LoadgenCPUCores, r.LoadgenUSPerPacket, r.LoadgenRSSBytes/1e6,
		r.SampledPackets, r.IntegrityErrors)
	if err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	kinds := make([]string, 0, len(r.Tracks))
	for k := range r.Tracks {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t := r.Tracks[k]
		if _, err := fmt.Fprintf(w, "  %s tracks: %d received, %.1f packets/s, %.0f kbit/s, loss %.4f%% each\n",
			k, t.Count, t.PacketsPerSec, t.BitrateBps/1000, t.LossRatio*100); err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
	}
	return nil
}
