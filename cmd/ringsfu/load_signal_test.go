package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling/client/loadgen"
)

func TestSplitLoadMode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		mode string
		rest string
	}{
		{[]string{"--calls", "2"}, loadModeMedia, "--calls 2"},
		{[]string{"--mode", "signaling", "--urls", "x"}, loadModeSignaling, "--urls x"},
		{[]string{"--urls", "x", "-mode=signaling"}, loadModeSignaling, "--urls x"},
		{[]string{"--mode=media"}, loadModeMedia, ""},
	} {
		mode, rest, err := splitLoadMode(tc.args)
		if err != nil || mode != tc.mode || strings.Join(rest, " ") != tc.rest {
			t.Errorf("%v: got %q %v %v", tc.args, mode, rest, err)
		}
	}
	for _, bad := range [][]string{{"--mode"}, {"--mode", "video"}} {
		if _, _, err := splitLoadMode(bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

// TestLoadSignalingAgainstACluster runs `ringsfu load --mode signaling
// --urls A,B --redis-url … --json` against two in-process nodes on a
// private redis-server: every flow completes across the nodes, the
// connections alternate between the URLs, and the Redis figures (INFO
// and the nodes' own round-trip counters) are filled in.
func TestLoadSignalingAgainstACluster(t *testing.T) {
	srv := redistest.Start(t)
	a := startServe(t, "--redis-url", srv.URL(0), "--node-id", "A").addr
	b := startServe(t, "--redis-url", srv.URL(0), "--node-id", "B").addr
	urls := "ws://" + a + "/v1/signal,ws://" + b + "/v1/signal"
	var out, errOut bytes.Buffer
	err := loadCommand([]string{"--mode", "signaling", "--urls", urls, "--redis-url", srv.URL(0), "--groups", "4",
		"--duration", "2s", "--idle", "500ms", "--json"}, func(string) string { return "" }, &out, &errOut)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, errOut.String())
	}
	var rep loadgen.SignalReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out.String())
	}
	if rep.Mode != "signaling" || rep.ErrorCount != 0 {
		t.Fatalf("report: mode %q, errors %v", rep.Mode, rep.Errors)
	}
	for _, f := range loadgen.AllFlows() {
		if rep.ByFlow[f].Count == 0 {
			t.Fatalf("no %s flow completed: %+v", f, rep.ByFlow)
		}
	}
	na, nb := rep.ConnectionsPerURL["ws://"+a+"/v1/signal"], rep.ConnectionsPerURL["ws://"+b+"/v1/signal"]
	if na < 6 || nb < 6 || na-nb > 1 || nb-na > 1 {
		t.Fatalf("connections per URL: %v", rep.ConnectionsPerURL)
	}
	rr := rep.Redis
	if rr == nil || rr.CommandsPerCycle <= 0 || rr.NodeRoundTripsPerCycle <= 0 || rr.NodeCommandsPerCycle < rr.NodeRoundTripsPerCycle ||
		rr.ByCommand["evalsha"] == 0 || rr.IdleCommandsPerSec <= 0 {
		t.Fatalf("redis figures: %+v", rr)
	}
	t.Logf("2 nodes, all flows: %.0f ops/s, %.1f Redis commands and %.1f round trips per flow cycle",
		rep.OpsPerSec, rr.CommandsPerCycle, rr.NodeRoundTripsPerCycle)
}
