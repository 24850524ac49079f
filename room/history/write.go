package history

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OpKind says what one write does.
type OpKind int

// Write kinds, each one statement.
const (
	// OpCallStarted inserts a call: Rec, Call, Type, User (initiator), Name, At.
	OpCallStarted OpKind = iota + 1
	// OpCallEnded sets a call's end: Rec, At, Reason; memberships still
	// open end with it.
	OpCallEnded
	// OpMemberJoined inserts a membership: Rec, User, Name, Device, At.
	OpMemberJoined
	// OpMemberLeft closes the user's open membership: Rec, User, At, Reason.
	OpMemberLeft
	// OpInvited inserts an invitee in state waiting (or busy): Rec,
	// Invitation, User, Name, Inviter, At, Outcome.
	OpInvited
	// OpInviteeOutcome sets an invitee's outcome: Rec, Invitation, User,
	// Outcome, At.
	OpInviteeOutcome
)

// Op is one history write. Ops of one call are applied in the order they
// were recorded; every op is idempotent, so a batch whose commit outcome
// was unknown can be applied again.
type Op struct {
	Kind       OpKind
	Rec        string // the call record's id (one per call lifetime)
	Call       string // the call id as clients know it
	Type       string
	User       string
	Name       string
	Device     string
	Inviter    string
	Invitation string
	Outcome    string
	Reason     string
	At         time.Time
}

// Write applies ops in one transaction.
func (s *Store) Write(ctx context.Context, ops []Op) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for i := range ops {
		if err := s.apply(ctx, tx, &ops[i]); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: commit: %w", err)
	}
	return nil
}

// apply runs one op inside tx.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, o *Op) error {
	var (
		query string
		args  []any
	)
	at := ms(o.At)
	switch o.Kind {
	case OpCallStarted:
		query = `INSERT INTO calls (rec_id, call_id, type, initiator, initiator_name, started_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rec_id) DO NOTHING`
		args = []any{o.Rec, o.Call, o.Type, o.User, o.Name, at}
	case OpCallEnded:
		// Members still in the call leave with it, for the call's reason.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE call_members SET left_at = ?, leave_reason = ? WHERE rec_id = ? AND left_at IS NULL`),
			at, o.Reason, o.Rec); err != nil {
			return fmt.Errorf("history: write op %d: %w", o.Kind, err)
		}
		query = `UPDATE calls SET ended_at = ?, end_reason = ? WHERE rec_id = ? AND ended_at IS NULL`
		args = []any{at, o.Reason, o.Rec}
	case OpMemberJoined:
		query = `INSERT INTO call_members (rec_id, user_id, name, device, joined_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (rec_id, user_id, joined_at) DO NOTHING`
		args = []any{o.Rec, o.User, o.Name, o.Device, at}
	case OpMemberLeft:
		query = `UPDATE call_members SET left_at = ?, leave_reason = ? WHERE rec_id = ? AND user_id = ? AND left_at IS NULL`
		args = []any{at, o.Reason, o.Rec, o.User}
	case OpInvited:
		query = `INSERT INTO call_invitees (rec_id, invitation_id, user_id, name, inviter, invited_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rec_id, invitation_id, user_id) DO NOTHING`
		args = []any{o.Rec, o.Invitation, o.User, o.Name, o.Inviter, at, o.Outcome}
	case OpInviteeOutcome:
		query = `UPDATE call_invitees SET outcome = ?, answered_at = ? WHERE rec_id = ? AND invitation_id = ? AND user_id = ?`
		args = []any{o.Outcome, at, o.Rec, o.Invitation, o.User}
	default:
		return fmt.Errorf("history: unknown op kind %d", o.Kind)
	}
	if _, err := tx.ExecContext(ctx, s.q(query), args...); err != nil {
		return fmt.Errorf("history: write op %d: %w", o.Kind, err)
	}
	return nil
}

// DeleteBefore removes calls that ended before t, with their members and
// invitees, and returns how many calls it removed.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("history: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	cut := ms(t)
	old := `SELECT rec_id FROM calls WHERE ended_at IS NOT NULL AND ended_at < ?`
	for _, table := range []string{"call_members", "call_invitees"} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE rec_id IN (`+old+`)`), cut); err != nil {
			return 0, fmt.Errorf("history: retention on %s: %w", table, err)
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM calls WHERE ended_at IS NOT NULL AND ended_at < ?`), cut)
	if err != nil {
		return 0, fmt.Errorf("history: retention: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("history: retention commit: %w", err)
	}
	return n, nil
}

// MarkSeen records that user has seen its missed calls up to t; a later
// mark never moves back.
func (s *Store) MarkSeen(ctx context.Context, user string, t time.Time) error {
	query := `INSERT INTO history_seen (user_id, seen_at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET seen_at = excluded.seen_at WHERE history_seen.seen_at < excluded.seen_at`
	if _, err := s.db.ExecContext(ctx, s.q(query), user, ms(t)); err != nil {
		return fmt.Errorf("history: mark seen: %w", err)
	}
	return nil
}
