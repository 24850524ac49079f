package history

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	// Drivers: pgx's database/sql adapter ("pgx") and pure-Go SQLite
	// ("sqlite"), so that the default needs no C toolchain or server.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// DefaultDataDir is where the SQLite file goes when no directory is given.
const DefaultDataDir = "./ringsfu-data"

// sqliteFile is the name of the SQLite database under the data directory.
const sqliteFile = "history.db"

// StoreConfig says which database to use.
type StoreConfig struct {
	// URL, when it starts with postgres:// or postgresql://, selects
	// PostgreSQL; empty selects SQLite in DataDir.
	URL string
	// DataDir holds the SQLite file (history.db). Default DefaultDataDir.
	DataDir string
}

// dialect is the SQL flavour of a Store.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// Store is the call history database. Its methods are safe for concurrent
// use.
type Store struct {
	db      *sql.DB
	dialect dialect
	where   string // for logs: the SQLite path or "postgres"
}

// Open connects to the database and applies every pending migration.
func Open(ctx context.Context, cfg StoreConfig) (*Store, error) {
	s, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	return s, nil
}

// connect opens the database without migrating it.
func connect(ctx context.Context, cfg StoreConfig) (*Store, error) {
	s := &Store{}
	var err error
	switch {
	case strings.HasPrefix(cfg.URL, "postgres://"), strings.HasPrefix(cfg.URL, "postgresql://"):
		s.dialect, s.where = dialectPostgres, "postgres"
		s.db, err = sql.Open("pgx", cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("history: open postgres: %w", err)
		}
		s.db.SetMaxOpenConns(8)
		s.db.SetConnMaxIdleTime(time.Minute)
	case cfg.URL == "":
		dir := cfg.DataDir
		if dir == "" {
			dir = DefaultDataDir
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("history: data dir: %w", err)
		}
		s.where = filepath.Join(dir, sqliteFile)
		s.db, err = sql.Open("sqlite", "file:"+s.where+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if err != nil {
			return nil, fmt.Errorf("history: open sqlite: %w", err)
		}
		// One connection: SQLite has one writer anyway, and this keeps
		// every statement off SQLITE_BUSY.
		s.db.SetMaxOpenConns(1)
	default:
		return nil, fmt.Errorf("history: database URL must start with postgres:// or postgresql:// (empty: SQLite under the data dir)")
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.db.PingContext(pctx); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("history: connect to %s: %w", s.where, err)
	}
	return s, nil
}

// Where names the database for logs (never a password).
func (s *Store) Where() string { return s.where }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// q rewrites a query written with ? placeholders for the dialect.
func (s *Store) q(query string) string {
	if s.dialect != dialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// placeholders returns n comma-separated ? marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// ms converts a time to the stored form: Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts a stored time back.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// fromNullMS converts a nullable stored time; nil for NULL.
func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}
