package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// SignalReport is what a signaling run measured. JSON keys are stable.
type SignalReport struct {
	Mode              string         `json:"mode"` // "signaling"
	URLs              []string       `json:"urls"`
	Groups            int            `json:"groups"`
	Flows             []string       `json:"flows"`
	TargetRate        float64        `json:"target_rate"` // flow cycles/s; 0: flat out
	DurationSeconds   float64        `json:"duration_seconds"`
	SetupSeconds      float64        `json:"setup_seconds"`
	ConnectionsPerURL map[string]int `json:"connections_per_url"` // opened, setup included
	// Ops counts answered requests (hello included) and awaited events;
	// Requests only the requests. Invites counts incomingCall rings.
	Ops            int     `json:"ops"`
	OpsPerSec      float64 `json:"ops_per_sec"`
	Requests       int     `json:"requests"`
	RequestsPerSec float64 `json:"requests_per_sec"`
	Cycles         int     `json:"cycles"`
	CyclesPerSec   float64 `json:"cycles_per_sec"`
	RingsPerSec    float64 `json:"rings_per_sec"`
	// ByOp has each request type and awaited event (ring: invite →
	// incomingCall; accepted, declined, busy, canceled, ended: the
	// event after the request that causes it).
	ByOp   map[string]OpSummary `json:"by_op"`
	ByFlow map[string]OpSummary `json:"by_flow"`
	// Errors counts failures by wire code or kind (timeout, closed,
	// unexpected, other).
	Errors     map[string]int64 `json:"errors"`
	ErrorCount int64            `json:"error_count"`
	// ServerCPUCores sums the servers' CPU (0: not measured).
	ServerCPUCores  float64      `json:"server_cpu_cores"`
	ServerCPUByNode []float64    `json:"server_cpu_cores_by_node,omitempty"`
	LoadgenCPUCores float64      `json:"loadgen_cpu_cores"`
	Redis           *RedisReport `json:"redis,omitempty"`
}

// RedisReport is the cluster's Redis load during the window.
type RedisReport struct {
	Commands       int64   `json:"commands"`
	CommandsPerSec float64 `json:"commands_per_sec"`
	CPUCores       float64 `json:"cpu_cores"`
	// NodeCommandsPerCycle and NodeRoundTripsPerCycle are the nodes' own
	// counts (a script call is one command; a pipeline one round trip),
	// 0 when the nodes do not expose them.
	NodeCommandsPerCycle   float64 `json:"node_commands_per_cycle"`
	NodeRoundTripsPerCycle float64 `json:"node_round_trips_per_cycle"`
	NodeRoundTripsPerSec   float64 `json:"node_round_trips_per_sec"`
	// Per-operation figures are net of the idle rate when one was
	// measured.
	CommandsPerOp      float64          `json:"commands_per_op"`
	CommandsPerRequest float64          `json:"commands_per_request"`
	CommandsPerCycle   float64          `json:"commands_per_cycle"`
	IdleCommandsPerSec float64          `json:"idle_commands_per_sec"`
	IdleCPUCores       float64          `json:"idle_cpu_cores"`
	ByCommand          map[string]int64 `json:"by_command"`
}

// isRequest reports whether a ByOp name is a request (the others are
// awaited events).
func isRequest(name string) bool {
	switch name {
	case "hello", "invite", "accept", "reject", "cancel", "leave":
		return true
	}
	return false
}

// buildSignalReport turns the recorder and the usage readings into a
// report.
func buildSignalReport(cfg *SignalConfig, rec *recorder, before, after usageSnap, idle *idleFigures) *SignalReport {
	secs := after.at.Sub(before.at).Seconds()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rep := &SignalReport{Mode: "signaling", URLs: cfg.URLs, Groups: cfg.Groups, Flows: cfg.Flows, TargetRate: cfg.Rate,
		DurationSeconds: secs, ConnectionsPerURL: map[string]int{}, Errors: map[string]int64{},
		ByOp: summarize(rec.ops, secs), ByFlow: summarize(rec.flows, secs)}
	for u, n := range rec.perURL {
		rep.ConnectionsPerURL[u] = n
	}
	for code, n := range rec.errs {
		rep.Errors[code] = n
		rep.ErrorCount += n
	}
	for name, s := range rep.ByOp {
		rep.Ops += s.Count
		if isRequest(name) {
			rep.Requests += s.Count
		}
	}
	for _, s := range rep.ByFlow {
		rep.Cycles += s.Count
	}
	if secs > 0 {
		rep.OpsPerSec = float64(rep.Ops) / secs
		rep.RequestsPerSec = float64(rep.Requests) / secs
		rep.CyclesPerSec = float64(rep.Cycles) / secs
		rep.RingsPerSec = rep.ByOp["ring"].PerSecond
	}
	if len(before.servers) > 0 && len(before.servers) == len(after.servers) {
		for i := range before.servers {
			c := cores(before.servers[i], after.servers[i])
			rep.ServerCPUByNode = append(rep.ServerCPUByNode, c)
			rep.ServerCPUCores += c
		}
	}
	rep.LoadgenCPUCores = cores(before.self, after.self)
	if before.redis != nil && after.redis != nil && secs > 0 {
		b, a := before.redis, after.redis
		rr := &RedisReport{Commands: a.total() - b.total(), ByCommand: map[string]int64{}}
		for name, n := range a.commands {
			if d := n - b.commands[name]; d > 0 {
				rr.ByCommand[name] = d
			}
		}
		rsecs := a.at.Sub(b.at).Seconds()
		rr.CommandsPerSec = float64(rr.Commands) / rsecs
		rr.CPUCores = (a.cpu - b.cpu).Seconds() / rsecs
		net := float64(rr.Commands)
		if idle != nil {
			rr.IdleCommandsPerSec, rr.IdleCPUCores = idle.commandsPerSec, idle.cpuCores
			net -= idle.commandsPerSec * rsecs
		}
		if rep.Ops > 0 {
			rr.CommandsPerOp = net / float64(rep.Ops)
		}
		if rep.Requests > 0 {
			rr.CommandsPerRequest = net / float64(rep.Requests)
		}
		if rep.Cycles > 0 {
			rr.CommandsPerCycle = net / float64(rep.Cycles)
			if before.nodeTrips >= 0 && after.nodeTrips >= 0 {
				rr.NodeCommandsPerCycle = (after.nodeCommands - before.nodeCommands) / float64(rep.Cycles)
				rr.NodeRoundTripsPerCycle = (after.nodeTrips - before.nodeTrips) / float64(rep.Cycles)
				rr.NodeRoundTripsPerSec = (after.nodeTrips - before.nodeTrips) / rsecs
			}
		}
		rep.Redis = rr
	}
	return rep
}

// WriteJSON prints the report as one JSON object.
func (r *SignalReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	return nil
}

// WriteText prints the report for people.
func (r *SignalReport) WriteText(w io.Writer) error {
	var b strings.Builder
	rate := "flat out"
	if r.TargetRate > 0 {
		rate = fmt.Sprintf("target %.0f cycles/s", r.TargetRate)
	}
	fmt.Fprintf(&b, "signaling: %d groups (%d connections) on %d URL(s), flows %s, %s, window %.1fs (setup %.1fs)\n",
		r.Groups, 3*r.Groups, len(r.URLs), strings.Join(r.Flows, ","), rate, r.DurationSeconds, r.SetupSeconds)
	fmt.Fprintf(&b, "throughput: %.0f ops/s (%.0f requests/s), %.0f flow cycles/s, %.0f invite→incomingCall/s\n",
		r.OpsPerSec, r.RequestsPerSec, r.CyclesPerSec, r.RingsPerSec)
	fmt.Fprintf(&b, "errors: %d", r.ErrorCount)
	for _, k := range sortedKeys(r.Errors) {
		fmt.Fprintf(&b, " %s=%d", k, r.Errors[k])
	}
	b.WriteString("\n")
	b.WriteString("  op            count    per s    p50 ms    p99 ms    max ms  errors\n")
	for _, k := range sortedKeys(r.ByOp) {
		s := r.ByOp[k]
		fmt.Fprintf(&b, "  %-10s %8d %8.0f %9.2f %9.2f %9.2f %7d\n", k, s.Count, s.PerSecond, s.MsP50, s.MsP99, s.MsMax, s.Errors)
	}
	for _, k := range sortedKeys(r.ByFlow) {
		s := r.ByFlow[k]
		fmt.Fprintf(&b, "  flow %-5s %8d %8.0f %9.2f %9.2f %9.2f %7d\n", k, s.Count, s.PerSecond, s.MsP50, s.MsP99, s.MsMax, s.Errors)
	}
	fmt.Fprintf(&b, "connections per URL:")
	for _, k := range sortedKeys(r.ConnectionsPerURL) {
		fmt.Fprintf(&b, " %s=%d", k, r.ConnectionsPerURL[k])
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "CPU: servers %.2f cores", r.ServerCPUCores)
	if len(r.ServerCPUByNode) > 1 {
		fmt.Fprintf(&b, " (by node %.2f)", r.ServerCPUByNode)
	}
	fmt.Fprintf(&b, ", load generator %.2f cores\n", r.LoadgenCPUCores)
	if rr := r.Redis; rr != nil {
		fmt.Fprintf(&b, "redis: %.0f commands/s, %.2f cores; per op %.1f, per request %.1f, per flow cycle %.1f commands; idle %.1f commands/s, %.2f cores\n",
			rr.CommandsPerSec, rr.CPUCores, rr.CommandsPerOp, rr.CommandsPerRequest, rr.CommandsPerCycle, rr.IdleCommandsPerSec, rr.IdleCPUCores)
		if rr.NodeRoundTripsPerCycle > 0 {
			fmt.Fprintf(&b, "  nodes → redis: %.1f round trips (%.1f commands, scripts counting once) per flow cycle, %.0f round trips/s (idle traffic included)\n",
				rr.NodeRoundTripsPerCycle, rr.NodeCommandsPerCycle, rr.NodeRoundTripsPerSec)
		}
		type kv struct {
			k string
			v int64
		}
		var top []kv
		for k, v := range rr.ByCommand {
			top = append(top, kv{k, v})
		}
		sort.Slice(top, func(i, j int) bool { return top[i].v > top[j].v })
		b.WriteString("  by command:")
		for i, e := range top {
			if i == 12 {
				break
			}
			fmt.Fprintf(&b, " %s=%d", e.k, e.v)
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
