package main

import (
	"bufio"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// scrapeRoundTrips scrapes a node's /metrics and returns its Redis round
// trips by kind (ringsfu_cluster_redis_round_trips_by_kind_total).
func scrapeRoundTrips(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	const prefix = `ringsfu_cluster_redis_round_trips_by_kind_total{kind="`
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		kind, val, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[kind] += v
	}
	return out
}

// idleKinds are the round trips a node makes whether or not calls run
// (heartbeat, lease renewal, deadline sweep, inbox read); they are left out
// of the per-cycle figures.
var idleKinds = map[string]bool{"script:heartbeat": true, "script:renewAll": true, "script:claimDue": true,
	"xreadgroup": true, "script:nodes": true, "xautoclaim": true, "xack": true}

// tripsPerCycle sums the round trips by kind that several nodes made
// between two scrapes, divided by cycles, leaving out the idle kinds, and
// formats them for the log, most frequent first.
func tripsPerCycle(before, after []map[string]float64, cycles int) (total float64, report string) {
	sum := map[string]float64{}
	for i := range after {
		for k, v := range after[i] {
			if !idleKinds[k] {
				sum[k] += v - before[i][k]
			}
		}
	}
	kinds := make([]string, 0, len(sum))
	for k, v := range sum {
		if v > 0 {
			kinds = append(kinds, k)
			total += v
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return sum[kinds[i]] > sum[kinds[j]] })
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n  %-60s %.2f", k, sum[k]/float64(cycles))
	}
	return total / float64(cycles), b.String()
}
