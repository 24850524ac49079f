package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room/cluster/redistest"
)

// shared is the package's redis-server, started once by TestMain; nil when
// the binary is missing. Tests isolate themselves by key prefix.
var shared *redistest.Server

func TestMain(m *testing.M) {
	s, err := redistest.Launch()
	if err != nil && !errors.Is(err, redistest.ErrNoBinary) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = s
	code := m.Run()
	if s != nil {
		s.Close()
	}
	os.Exit(code)
}

var prefixSeq atomic.Int64

// testPrefix returns a key prefix unique to this test.
func testPrefix(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("t%d_%s:", prefixSeq.Add(1), name)
}

// newStore opens a Store for node on the shared server with a prefix that
// prefix (from testPrefix) gives a test; cfg's other fields are kept.
func newStore(t testing.TB, prefix, node string, cfg Config) *Store {
	t.Helper()
	if shared == nil {
		redistest.Missing(t)
	}
	return openOn(t, shared, prefix, node, cfg)
}

// openOn opens a Store on server srv.
func openOn(t testing.TB, srv *redistest.Server, prefix, node string, cfg Config) *Store {
	t.Helper()
	cfg.URL = srv.URL(0)
	cfg.Prefix = prefix
	cfg.NodeID = node
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ctxT returns a context ended with the test.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
