package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringsfu/ringsfu/room/history/pgtest"
)

// pg is the package's PostgreSQL server (nil when not installed outside
// CI); each test gets its own database in it.
var (
	pg    *pgtest.Server
	pgErr error
	dbSeq atomic.Int64
)

func TestMain(m *testing.M) {
	pg, pgErr = pgtest.Launch()
	code := m.Run()
	if pg != nil {
		pg.Close()
	}
	os.Exit(code)
}

// backend opens stores of one kind for a test.
type backend struct {
	name string
	// url returns a StoreConfig for a fresh, empty database.
	fresh func(t *testing.T) StoreConfig
}

// backends returns SQLite and PostgreSQL; PostgreSQL is skipped when it is
// not installed, except in CI where that fails.
func backends() []backend {
	return []backend{
		{name: "sqlite", fresh: func(t *testing.T) StoreConfig { return StoreConfig{DataDir: t.TempDir()} }},
		{name: "postgres", fresh: freshPostgres},
	}
}

// freshPostgres creates a new database in the package's server.
func freshPostgres(t *testing.T) StoreConfig {
	t.Helper()
	if pg == nil {
		if errors.Is(pgErr, pgtest.ErrNoBinary) && os.Getenv("CI") != "true" {
			t.Skipf("skipping: %v", pgErr)
		}
		t.Fatalf("postgres: %v", pgErr)
	}
	if err := pg.Start(); err != nil { // a previous test may have stopped it
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("h%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return StoreConfig{URL: pg.URLFor(name)}
}

// forEach runs f against every backend.
func forEach(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// open opens a store and closes it when t ends.
func open(t *testing.T, cfg StoreConfig) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drained waits until rec has written everything it queued.
func drained(t *testing.T, rec *Recorder) {
	t.Helper()
	waitFor(t, "the history queue to drain", func() bool { return rec.Pending() == 0 })
}
