package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/history"
	"github.com/ringsfu/ringsfu/room/history/pgtest"
)

// TestHistoryWritesPerCall measures what one answered 1:1 call costs the
// history database: ops (statements) and transactions, read from /metrics.
func TestHistoryWritesPerCall(t *testing.T) {
	s := startServe(t, "--drain-delay", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := dialAs(ctx, t, s.addr, "alice", "a1")
	bob := dialAs(ctx, t, s.addr, "bob", "b1")
	res := inviteAccepted(ctx, t, alice, bob, "voice")
	if err := bob.Leave(ctx, res.CallID); err != nil {
		t.Fatal(err)
	}
	if err := alice.Leave(ctx, res.CallID); err != nil {
		t.Fatal(err)
	}
	// start, 2 joins, invited, accepted, 2 leaves, end.
	const want = 8
	deadline := time.Now().Add(20 * time.Second)
	for metricValue(t, "http://"+s.addr+"/metrics", "ringsfu_history_writes_total ") < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ops := metricValue(t, "http://"+s.addr+"/metrics", "ringsfu_history_writes_total ")
	tx := metricValue(t, "http://"+s.addr+"/metrics", "ringsfu_history_batches_total ")
	if ops != want {
		t.Fatalf("history ops for one answered 1:1 call = %v, want %d", ops, want)
	}
	if tx < 1 || tx > want {
		t.Fatalf("transactions = %v", tx)
	}
	t.Logf("one answered 1:1 call: %v history ops (row inserts/updates) in %v transactions", ops, tx)
}

// TestHistoryAPIListLatency fills the history with 1,000 calls and times
// listing them all through the server API (5 pages of 200) and one user's
// history page. It logs the figures; RINGSFU_COST_POSTGRES=1 measures a
// throw-away PostgreSQL (room/history/pgtest) instead of SQLite.
func TestHistoryAPIListLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("cost measurement")
	}
	dir := t.TempDir()
	cfg := history.StoreConfig{DataDir: dir}
	if os.Getenv("RINGSFU_COST_POSTGRES") == "1" {
		cfg.URL = pgtest.Start(t).URL()
	}
	st, err := history.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := history.NewRecorder(history.RecorderConfig{Store: st, Retention: -1})
	t0 := time.Now().Add(-24 * time.Hour)
	for i := 0; i < 1000; i++ {
		id := room.CallID(fmt.Sprintf("cost-%04d", i))
		at := t0.Add(time.Duration(i) * time.Second)
		caller, callee := room.User{ID: room.UserID(fmt.Sprintf("u%d", i%50))}, room.User{ID: "target"}
		rec.CallStarted(id, room.CallVideo, caller, at)
		rec.MemberJoined(id, caller, "d", at)
		rec.InviteeChanged(id, "inv", callee, caller, room.StatusWaiting, at)
		rec.InviteeChanged(id, "inv", callee, caller, room.StatusAccepted, at.Add(time.Second))
		rec.MemberJoined(id, callee, "d", at.Add(time.Second))
		rec.CallEnded(id, "empty", at.Add(30*time.Second))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	rec.Close(ctx)
	cancel()
	_ = st.Close()
	args := []string{"--drain-delay", "0"}
	if cfg.URL != "" {
		args = append(args, "--database-url", cfg.URL)
	}
	s := startServe(t, append([]string{"--data-dir", dir}, args...)...) // the last --data-dir wins
	tok := serverToken(t, time.Hour, time.Time{})
	apiCall(t, s.addr, tok, "GET", "/v1/api/history/calls?limit=1", nil) // warm-up: connections, caches
	start := time.Now()
	total, pages, before := 0, 0, ""
	for {
		path := "/v1/api/history/calls?limit=200"
		if before != "" {
			path += "&before=" + before
		}
		st, body := apiCall(t, s.addr, tok, "GET", path, nil)
		if st != 200 {
			t.Fatalf("%s: %d %v", path, st, body)
		}
		calls, _ := body["calls"].([]any)
		total += len(calls)
		pages++
		next, _ := body["nextBefore"].(string)
		if next == "" || pages > 10 {
			break
		}
		before = next
	}
	all := time.Since(start)
	if total != 1000 {
		t.Fatalf("listed %d calls, want 1000", total)
	}
	start = time.Now()
	st2, body := apiCall(t, s.addr, tok, "GET", "/v1/api/users/target/history?limit=200", nil)
	one := time.Since(start)
	if es, _ := body["entries"].([]any); st2 != 200 || len(es) != 200 {
		t.Fatalf("user history: %d %d entries", st2, len(es))
	}
	t.Logf("listing 1,000 call records through the API: %v (%d pages of 200, %v per page); one user's history page of 200 (of 1,000): %v (%s)",
		all.Round(time.Millisecond), pages, (all / time.Duration(pages)).Round(time.Millisecond), one.Round(time.Millisecond), map[bool]string{true: "PostgreSQL", false: "SQLite"}[cfg.URL != ""])
}
