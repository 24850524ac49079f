package history

import (
	"context"
	"fmt"
	"time"
)

// migrations are the schema versions in order: migrations[i] takes the
// schema from version i to i+1. Applied ones are never edited; a change is
// a new entry. Times are Unix milliseconds (BIGINT) in both dialects.
var migrations = [][]string{
	// 1: calls, their members and their invitees.
	{
		`CREATE TABLE calls (
			rec_id TEXT PRIMARY KEY,
			call_id TEXT NOT NULL,
			type TEXT NOT NULL,
			initiator TEXT NOT NULL,
			initiator_name TEXT NOT NULL DEFAULT '',
			started_at BIGINT NOT NULL,
			ended_at BIGINT,
			end_reason TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX calls_started ON calls (started_at)`,
		`CREATE INDEX calls_call_id ON calls (call_id)`,
		`CREATE INDEX calls_initiator ON calls (initiator, started_at)`,
		`CREATE TABLE call_members (
			rec_id TEXT NOT NULL,
			user_id TEXT NOT NULL,
			name TEXT NOT NULL DEFAULT '',
			device TEXT NOT NULL DEFAULT '',
			joined_at BIGINT NOT NULL,
			left_at BIGINT,
			leave_reason TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (rec_id, user_id, joined_at)
		)`,
		`CREATE INDEX call_members_user ON call_members (user_id, rec_id)`,
		`CREATE TABLE call_invitees (
			rec_id TEXT NOT NULL,
			invitation_id TEXT NOT NULL,
			user_id TEXT NOT NULL,
			name TEXT NOT NULL DEFAULT '',
			inviter TEXT NOT NULL,
			invited_at BIGINT NOT NULL,
			outcome TEXT NOT NULL,
			answered_at BIGINT,
			PRIMARY KEY (rec_id, invitation_id, user_id)
		)`,
		`CREATE INDEX call_invitees_user ON call_invitees (user_id, invited_at)`,
	},
	// 2: when each user last marked missed calls seen.
	{
		`CREATE TABLE history_seen (
			user_id TEXT PRIMARY KEY,
			seen_at BIGINT NOT NULL
		)`,
	},
	// 3: push registrations (push.go): one row per user, device and push
	// target; kept here so that they survive restarts and are shared by
	// every node that uses the same PostgreSQL database.
	{
		`CREATE TABLE push_registrations (
			user_id TEXT NOT NULL,
			reg_id TEXT NOT NULL,
			device TEXT NOT NULL,
			provider TEXT NOT NULL,
			target TEXT NOT NULL,
			voip INTEGER NOT NULL DEFAULT 0,
			app_id TEXT NOT NULL DEFAULT '',
			locale TEXT NOT NULL DEFAULT '',
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			PRIMARY KEY (user_id, reg_id)
		)`,
		`CREATE INDEX push_registrations_device ON push_registrations (user_id, device)`,
	},
}

// SchemaVersion is the schema version this code writes.
func SchemaVersion() int { return len(migrations) }

// migrate applies the migrations after the database's version up to and
// including version upTo, each in its own transaction. On PostgreSQL an
// advisory lock serializes nodes that start together.
func (s *Store) migrate(ctx context.Context, upTo int) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("history: migrations table: %w", err)
	}
	for v := 1; v <= upTo; v++ {
		if err := s.applyMigration(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies migration v unless it is already recorded.
func (s *Store) applyMigration(ctx context.Context, v int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: migration %d: %w", v, err)
	}
	defer func() { _ = tx.Rollback() }()
	if s.dialect == dialectPostgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7262011)`); err != nil {
			return fmt.Errorf("history: migration lock: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
		return fmt.Errorf("history: migration %d: %w", v, err)
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range migrations[v-1] {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("history: migration %d: %w", v, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, ms(time.Now())); err != nil {
		return fmt.Errorf("history: migration %d: %w", v, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: migration %d: %w", v, err)
	}
	return nil
}

// Version returns the database's schema version.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("history: schema version: %w", err)
	}
	return v, nil
}
