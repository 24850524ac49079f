package history

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus sec seconds.
func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func u(id string) room.User { return room.User{ID: room.UserID(id), Name: "Name " + id} }

// newRec starts a Recorder on s that keeps history forever (the fixed
// test times are in the past) and closes it when t ends.
func newRec(t *testing.T, s *Store, cfg RecorderConfig) *Recorder {
	t.Helper()
	cfg.Store = s
	if cfg.Retention == 0 {
		cfg.Retention = -1
	}
	r := NewRecorder(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Close(ctx)
	})
	return r
}

// recordScenarios records one call of every outcome; it returns the end
// time of the last.
func recordScenarios(r *Recorder) {
	alice, bob, carol, dave := u("alice"), u("bob"), u("carol"), u("dave")
	// 1:1 answered: bob answers on device b2.
	r.CallStarted("c-1to1", room.CallVideo, alice, at(0))
	r.MemberJoined("c-1to1", alice, "a1", at(0))
	r.InviteeChanged("c-1to1", "inv1", bob, alice, room.StatusWaiting, at(1))
	r.InviteeChanged("c-1to1", "inv1", bob, alice, room.StatusAccepted, at(5))
	r.MemberJoined("c-1to1", bob, "b2", at(5))
	r.MemberLeft("c-1to1", bob, "left", at(65))
	r.InviteeChanged("c-1to1", "inv1", bob, alice, room.StatusQuit, at(65))
	r.MemberLeft("c-1to1", alice, "left", at(66))
	r.CallEnded("c-1to1", "empty", at(66))
	// Declined.
	r.CallStarted("c-decline", room.CallVoice, alice, at(100))
	r.MemberJoined("c-decline", alice, "a1", at(100))
	r.InviteeChanged("c-decline", "inv2", bob, alice, room.StatusWaiting, at(100))
	r.InviteeChanged("c-decline", "inv2", bob, alice, room.StatusDeclined, at(103))
	r.CallEnded("c-decline", "noAnswer", at(103))
	// Busy at invite time.
	r.CallStarted("c-busy", room.CallVoice, alice, at(200))
	r.MemberJoined("c-busy", alice, "a1", at(200))
	r.InviteeChanged("c-busy", "inv3", carol, alice, room.StatusBusy, at(200))
	r.CallEnded("c-busy", "noAnswer", at(200))
	// Canceled by the caller while ringing.
	r.CallStarted("c-cancel", room.CallVideo, alice, at(300))
	r.MemberJoined("c-cancel", alice, "a1", at(300))
	r.InviteeChanged("c-cancel", "inv4", bob, alice, room.StatusWaiting, at(300))
	r.InviteeChanged("c-cancel", "inv4", bob, alice, room.StatusCanceled, at(304))
	r.MemberLeft("c-cancel", alice, "left", at(304))
	r.CallEnded("c-cancel", "empty", at(304))
	// Timed out.
	r.CallStarted("c-timeout", room.CallVideo, alice, at(400))
	r.MemberJoined("c-timeout", alice, "a1", at(400))
	r.InviteeChanged("c-timeout", "inv5", dave, alice, room.StatusWaiting, at(400))
	r.InviteeChanged("c-timeout", "inv5", dave, alice, room.StatusTimeout, at(430))
	r.CallEnded("c-timeout", "noAnswer", at(430))
	// Group: bob answers, carol declines, dave times out.
	r.CallStarted("c-group", room.CallVideo, alice, at(500))
	r.MemberJoined("c-group", alice, "a1", at(500))
	for _, x := range []room.User{bob, carol, dave} {
		r.InviteeChanged("c-group", "inv6", x, alice, room.StatusWaiting, at(500))
	}
	r.InviteeChanged("c-group", "inv6", carol, alice, room.StatusDeclined, at(502))
	r.InviteeChanged("c-group", "inv6", bob, alice, room.StatusAccepted, at(503))
	r.MemberJoined("c-group", bob, "b1", at(503))
	r.InviteeChanged("c-group", "inv6", dave, alice, room.StatusTimeout, at(530))
	r.CallEnded("c-group", "initiatorLeft", at(600))
}

// outcomes maps call id to outcome in user's history.
func outcomes(t *testing.T, s *Store, user string) map[string]Entry {
	t.Helper()
	es, err := s.UserHistory(context.Background(), Query{User: user, Limit: 100}, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Entry{}
	for _, e := range es {
		out[e.CallID] = e
	}
	return out
}

func TestStoreRecordsEveryOutcome(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		s := open(t, b.fresh(t))
		r := newRec(t, s, RecorderConfig{})
		recordScenarios(r)
		drained(t, r)
		ctx := context.Background()

		want := map[string]map[string]string{ // user -> call -> direction/outcome
			"alice": {"c-1to1": "outgoing/answered", "c-decline": "outgoing/declined", "c-busy": "outgoing/busy",
				"c-cancel": "outgoing/canceled", "c-timeout": "outgoing/noAnswer", "c-group": "outgoing/answered"},
			"bob":   {"c-1to1": "incoming/answered", "c-decline": "incoming/declined", "c-cancel": "incoming/missed", "c-group": "incoming/answered"},
			"carol": {"c-busy": "incoming/busy", "c-group": "incoming/declined"},
			"dave":  {"c-timeout": "incoming/missed", "c-group": "incoming/missed"},
		}
		for user, calls := range want {
			got := outcomes(t, s, user)
			if len(got) != len(calls) {
				t.Errorf("%s: %d entries, want %d: %+v", user, len(got), len(calls), got)
			}
			for call, w := range calls {
				e := got[call]
				if g := e.Direction + "/" + e.Outcome; g != w {
					t.Errorf("%s %s: %s, want %s", user, call, g, w)
				}
			}
		}
		if e := outcomes(t, s, "bob")["c-1to1"]; e.Duration != 60 || len(e.Peers) != 1 || e.Peers[0].ID != "alice" || e.Type != "video" {
			t.Errorf("bob's 1:1 entry: %+v", e)
		}
		if e := outcomes(t, s, "alice")["c-1to1"]; e.Duration != 66 || !e.StartedAt.Equal(at(0)) {
			t.Errorf("alice's 1:1 entry: %+v", e)
		}

		c, err := s.Call(ctx, "c-group")
		if err != nil {
			t.Fatal(err)
		}
		if c.EndReason != "initiatorLeft" || c.EndedAt == nil || !c.EndedAt.Equal(at(600)) || c.Initiator.ID != "alice" || c.Initiator.Name != "Name alice" {
			t.Errorf("group call record: %+v", c)
		}
		for _, m := range c.Members { // still in the call at its end: they leave with it
			if m.LeftAt == nil || !m.LeftAt.Equal(at(600)) || m.LeaveReason != "initiatorLeft" {
				t.Errorf("group member %s: left %v (%s)", m.ID, m.LeftAt, m.LeaveReason)
			}
		}
		got := map[string]string{}
		for _, iv := range c.Invitees {
			if iv.Inviter != "alice" || iv.InvitationID != "inv6" || !iv.InvitedAt.Equal(at(500)) {
				t.Errorf("invitee %+v", iv)
			}
			got[iv.ID] = iv.Outcome
		}
		if fmt.Sprint(got) != "map[bob:accepted carol:declined dave:timeout]" {
			t.Errorf("group invitees: %v", got)
		}
		one, err := s.Call(ctx, "c-1to1")
		if err != nil {
			t.Fatal(err)
		}
		if len(one.Members) != 2 || one.Members[1].ID != "bob" || one.Members[1].Device != "b2" || one.Members[1].LeaveReason != "left" ||
			one.Members[1].LeftAt == nil || !one.Members[1].LeftAt.Equal(at(65)) {
			t.Errorf("1:1 members: %+v", one.Members)
		}
		if _, err := s.Call(ctx, "nope"); err == nil {
			t.Error("unknown call: no error")
		}

		// Missed and seen.
		for user, n := range map[string]int{"alice": 0, "bob": 1, "carol": 0, "dave": 2} {
			if got, err := s.UnseenMissed(ctx, user); err != nil || got != n {
				t.Errorf("%s unseen missed = %d, %v; want %d", user, got, err, n)
			}
		}
		if e := outcomes(t, s, "dave")["c-timeout"]; e.Seen {
			t.Error("dave's missed call is seen before marking")
		}
		if err := s.MarkSeen(ctx, "dave", at(700)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSeen(ctx, "dave", at(1)); err != nil { // never moves back
			t.Fatal(err)
		}
		if n, _ := s.UnseenMissed(ctx, "dave"); n != 0 {
			t.Errorf("dave unseen after mark = %d", n)
		}
		if e := outcomes(t, s, "dave")["c-timeout"]; !e.Seen {
			t.Error("dave's missed call is not seen after marking")
		}
		r.CallStarted("c-later", room.CallVoice, u("carol"), at(800))
		r.InviteeChanged("c-later", "inv7", u("dave"), u("carol"), room.StatusWaiting, at(800))
		r.InviteeChanged("c-later", "inv7", u("dave"), u("carol"), room.StatusTimeout, at(830))
		r.CallEnded("c-later", "noAnswer", at(830))
		drained(t, r)
		if n, _ := s.UnseenMissed(ctx, "dave"); n != 1 {
			t.Errorf("dave unseen after a new missed call = %d", n)
		}
		missed, err := s.UserHistory(ctx, Query{User: "dave", Limit: 10}, OutcomeMissed)
		if err != nil || len(missed) != 3 {
			t.Errorf("dave missed filter: %d entries, %v", len(missed), err)
		}
	})
}

func TestStorePaging(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		s := open(t, b.fresh(t))
		r := newRec(t, s, RecorderConfig{})
		for i := 0; i < 25; i++ {
			id := room.CallID(fmt.Sprintf("p-%02d", i))
			r.CallStarted(id, room.CallVoice, u("alice"), at(i*10))
			r.MemberJoined(id, u("alice"), "a", at(i*10))
			r.InviteeChanged(id, "inv", u("bob"), u("alice"), room.StatusWaiting, at(i*10))
			r.CallEnded(id, "noAnswer", at(i*10+5))
		}
		r.CallStarted("other", room.CallVoice, u("carol"), at(1))
		r.CallEnded("other", "empty", at(2))
		drained(t, r)
		ctx := context.Background()
		var seen []string
		before := time.Time{}
		for page := 0; ; page++ {
			es, err := s.UserHistory(ctx, Query{User: "bob", Limit: 10, Before: before}, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				seen = append(seen, e.CallID)
			}
			if len(es) < 10 {
				break
			}
			before = es[len(es)-1].StartedAt
			if page > 5 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 25 || seen[0] != "p-24" || seen[24] != "p-00" {
			t.Fatalf("pages: %v", seen)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] >= seen[i-1] {
				t.Fatalf("not newest first at %d: %v", i, seen)
			}
		}
		all, err := s.Calls(ctx, Query{From: at(100), To: at(200), Limit: 100})
		if err != nil || len(all) != 10 {
			t.Fatalf("time range: %d calls, %v", len(all), err)
		}
		if all, _ := s.Calls(ctx, Query{Limit: 5}); len(all) != 5 {
			t.Fatalf("limit: %d", len(all))
		}
	})
}

func TestStoreRetention(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		s := open(t, b.fresh(t))
		w := newRec(t, s, RecorderConfig{})
		now := time.Now().UTC().Truncate(time.Millisecond)
		old, recent := now.Add(-100*24*time.Hour), now.Add(-10*24*time.Hour)
		for i, start := range []time.Time{old, old, recent} {
			id := room.CallID(fmt.Sprintf("r-%d", i))
			w.CallStarted(id, room.CallVoice, u("alice"), start)
			w.MemberJoined(id, u("alice"), "a", start)
			w.InviteeChanged(id, "inv", u("bob"), u("alice"), room.StatusWaiting, start)
			w.CallEnded(id, "noAnswer", start.Add(time.Minute))
		}
		w.CallStarted("r-open", room.CallVoice, u("alice"), old) // not ended: kept
		drained(t, w)
		r := newRec(t, s, RecorderConfig{Retention: 90 * 24 * time.Hour, RetentionEvery: 50 * time.Millisecond})
		ctx := context.Background()
		waitFor(t, "retention", func() bool { return counterValue(r.m.removed) == 2 })
		calls, err := s.Calls(ctx, Query{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range calls {
			ids = append(ids, c.CallID)
		}
		if fmt.Sprint(ids) != "[r-2 r-open]" {
			t.Fatalf("after retention: %v", ids)
		}
		for _, table := range []string{"call_members", "call_invitees"} {
			var n int
			if err := s.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 1 {
				t.Errorf("%s rows after retention = %d, %v; want 1", table, n, err)
			}
		}
	})
}

func TestStoreMigrations(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		cfg := b.fresh(t)
		ctx := context.Background()
		s, err := connect(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// From schema 1, with data in it.
		if err := s.migrate(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Version(ctx); v != 1 {
			t.Fatalf("version %d", v)
		}
		if err := s.Write(ctx, []Op{{Kind: OpCallStarted, Rec: "rec1", Call: "m1", Type: "voice", User: "alice", At: at(0)},
			{Kind: OpInvited, Rec: "rec1", Invitation: "i", User: "bob", Inviter: "alice", Outcome: "waiting", At: at(0)},
			{Kind: OpInviteeOutcome, Rec: "rec1", Invitation: "i", User: "bob", Outcome: "timeout", At: at(30)},
			{Kind: OpCallEnded, Rec: "rec1", Reason: "noAnswer", At: at(30)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UnseenMissed(ctx, "bob"); err == nil {
			t.Fatal("the previous schema has history_seen")
		}
		_ = s.Close()
		s = open(t, cfg)
		if v, _ := s.Version(ctx); v != SchemaVersion() {
			t.Fatalf("version after Open = %d, want %d", v, SchemaVersion())
		}
		if n, err := s.UnseenMissed(ctx, "bob"); err != nil || n != 1 {
			t.Fatalf("data after migration: unseen %d, %v", n, err)
		}
		// Opening again applies nothing and keeps the data.
		_ = s.Close()
		s = open(t, cfg)
		var n int
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != SchemaVersion() {
			t.Fatalf("migration rows %d, %v", n, err)
		}
		if c, err := s.Call(ctx, "m1"); err != nil || c.Invitees[0].Outcome != "timeout" {
			t.Fatalf("record after reopen: %+v, %v", c, err)
		}
	})
}

func TestStoreConcurrentWriters(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		cfg := b.fresh(t)
		s1, s2 := open(t, cfg), open(t, cfg)
		r1, r2 := newRec(t, s1, RecorderConfig{BatchSize: 16}), newRec(t, s2, RecorderConfig{BatchSize: 16})
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			rec := r1
			if g%2 == 1 {
				rec = r2
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					id := room.CallID(fmt.Sprintf("w-%d-%d", g, i))
					rec.CallStarted(id, room.CallVideo, u("alice"), at(g*100+i))
					rec.MemberJoined(id, u("alice"), "a", at(g*100+i))
					rec.InviteeChanged(id, "inv", u("bob"), u("alice"), room.StatusWaiting, at(g*100+i))
					rec.InviteeChanged(id, "inv", u("bob"), u("alice"), room.StatusAccepted, at(g*100+i+1))
					rec.MemberJoined(id, u("bob"), "b", at(g*100+i+1))
					rec.CallEnded(id, "empty", at(g*100+i+2))
				}
			}()
		}
		wg.Wait()
		drained(t, r1)
		drained(t, r2)
		calls, err := s1.Calls(context.Background(), Query{User: "bob", Limit: MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 200 {
			t.Fatalf("%d calls, want 200", len(calls))
		}
		for _, c := range calls {
			if len(c.Members) != 2 || len(c.Invitees) != 1 || c.Invitees[0].Outcome != "accepted" || c.EndReason != "empty" {
				t.Fatalf("incomplete record %+v", c)
			}
		}
	})
}
