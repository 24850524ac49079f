package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxLimit caps one page of results.
const MaxLimit = 200

// Query selects calls, newest first.
type Query struct {
	// User, when set, keeps calls the user initiated, joined or was
	// invited to.
	User string
	// From and To, when set, bound the start time: From <= start < To.
	From, To time.Time
	// Before, when set, pages: only calls that started before it.
	Before time.Time
	// Limit is the page size, 1..MaxLimit; 0 means 50.
	Limit int
}

// limit returns the page size q asks for, clamped.
func (q Query) limit() int {
	switch {
	case q.Limit <= 0:
		return 50
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

// ErrNotFound means no record matched.
var ErrNotFound = errors.New("history: not found")

// Calls returns the calls q selects with their members and invitees,
// newest first.
func (s *Store) Calls(ctx context.Context, q Query) ([]Call, error) {
	var (
		conds []string
		args  []any
	)
	if q.User != "" {
		conds = append(conds, `(initiator = ? OR rec_id IN (SELECT rec_id FROM call_members WHERE user_id = ?) OR rec_id IN (SELECT rec_id FROM call_invitees WHERE user_id = ?))`)
		args = append(args, q.User, q.User, q.User)
	}
	if !q.From.IsZero() {
		conds = append(conds, `started_at >= ?`)
		args = append(args, ms(q.From))
	}
	if !q.To.IsZero() {
		conds = append(conds, `started_at < ?`)
		args = append(args, ms(q.To))
	}
	if !q.Before.IsZero() {
		conds = append(conds, `started_at < ?`)
		args = append(args, ms(q.Before))
	}
	query := `SELECT rec_id, call_id, type, initiator, initiator_name, started_at, ended_at, end_reason FROM calls`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	query += ` ORDER BY started_at DESC, rec_id DESC LIMIT ?`
	args = append(args, q.limit())
	return s.loadCalls(ctx, query, args)
}

// Call returns one call record by record id, or by call id (the newest
// call with that id).
func (s *Store) Call(ctx context.Context, id string) (*Call, error) {
	calls, err := s.loadCalls(ctx, `SELECT rec_id, call_id, type, initiator, initiator_name, started_at, ended_at, end_reason FROM calls WHERE rec_id = ? OR call_id = ? ORDER BY (rec_id = ?) DESC, started_at DESC LIMIT 1`, []any{id, id, id})
	if err != nil {
		return nil, err
	}
	if len(calls) == 0 {
		return nil, fmt.Errorf("call record %q: %w", id, ErrNotFound)
	}
	return &calls[0], nil
}

// loadCalls runs a calls query and fills in members and invitees.
func (s *Store) loadCalls(ctx context.Context, query string, args []any) ([]Call, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("history: query calls: %w", err)
	}
	calls := []Call{}
	index := map[string]int{}
	for rows.Next() {
		var (
			c     Call
			start int64
			end   sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &c.CallID, &c.Type, &c.Initiator.ID, &c.Initiator.Name, &start, &end, &c.EndReason); err != nil {
			rows.Close()
			return nil, fmt.Errorf("history: scan call: %w", err)
		}
		c.StartedAt, c.EndedAt = fromMS(start), fromNullMS(end)
		c.Members, c.Invitees = []Member{}, []Invitee{}
		index[c.ID] = len(calls)
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("history: query calls: %w", err)
	}
	rows.Close()
	if len(calls) == 0 {
		return calls, nil
	}
	ids := make([]any, 0, len(calls))
	for _, c := range calls {
		ids = append(ids, c.ID)
	}
	in := `(` + placeholders(len(ids)) + `)`
	if err := s.loadMembers(ctx, in, ids, calls, index); err != nil {
		return nil, err
	}
	if err := s.loadInvitees(ctx, in, ids, calls, index); err != nil {
		return nil, err
	}
	return calls, nil
}

// loadMembers fills calls' member lists.
func (s *Store) loadMembers(ctx context.Context, in string, ids []any, calls []Call, index map[string]int) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT rec_id, user_id, name, device, joined_at, left_at, leave_reason FROM call_members WHERE rec_id IN `+in+` ORDER BY joined_at, user_id`), ids...)
	if err != nil {
		return fmt.Errorf("history: query members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rec    string
			m      Member
			joined int64
			left   sql.NullInt64
		)
		if err := rows.Scan(&rec, &m.ID, &m.Name, &m.Device, &joined, &left, &m.LeaveReason); err != nil {
			return fmt.Errorf("history: scan member: %w", err)
		}
		m.JoinedAt, m.LeftAt = fromMS(joined), fromNullMS(left)
		c := &calls[index[rec]]
		c.Members = append(c.Members, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history: query members: %w", err)
	}
	return nil
}

// loadInvitees fills calls' invitee lists.
func (s *Store) loadInvitees(ctx context.Context, in string, ids []any, calls []Call, index map[string]int) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT rec_id, invitation_id, user_id, name, inviter, invited_at, outcome, answered_at FROM call_invitees WHERE rec_id IN `+in+` ORDER BY invited_at, user_id`), ids...)
	if err != nil {
		return fmt.Errorf("history: query invitees: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rec      string
			iv       Invitee
			invited  int64
			answered sql.NullInt64
		)
		if err := rows.Scan(&rec, &iv.InvitationID, &iv.ID, &iv.Name, &iv.Inviter, &invited, &iv.Outcome, &answered); err != nil {
			return fmt.Errorf("history: scan invitee: %w", err)
		}
		iv.InvitedAt, iv.AnsweredAt = fromMS(invited), fromNullMS(answered)
		c := &calls[index[rec]]
		c.Invitees = append(c.Invitees, iv)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history: query invitees: %w", err)
	}
	return nil
}

// SeenAt returns when user last marked its missed calls seen (zero: never).
func (s *Store) SeenAt(ctx context.Context, user string) (time.Time, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT seen_at FROM history_seen WHERE user_id = ?`), user).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("history: seen mark: %w", err)
	}
	return fromMS(v), nil
}

// UserHistory returns the view of q.User of its calls that q selects,
// newest first. outcome, when set, keeps only entries with that outcome
// (scanning further pages to fill the limit).
func (s *Store) UserHistory(ctx context.Context, q Query, outcome string) ([]Entry, error) {
	user := q.User
	seen, err := s.SeenAt(ctx, user)
	if err != nil {
		return nil, err
	}
	want := q.limit()
	out := []Entry{}
	for len(out) < want {
		calls, err := s.Calls(ctx, q)
		if err != nil {
			return nil, err
		}
		for i := range calls {
			e := EntryFor(&calls[i], user, seen)
			if (outcome == "" || e.Outcome == outcome) && len(out) < want {
				out = append(out, e)
			}
		}
		if len(calls) < q.limit() || outcome == "" {
			break
		}
		q.Before = calls[len(calls)-1].StartedAt
	}
	return out, nil
}

// UnseenMissed counts user's missed calls after its seen mark: calls that
// rang the user, ended or timed out or were canceled, which the user never
// joined, declined or was busy for.
func (s *Store) UnseenMissed(ctx context.Context, user string) (int, error) {
	query := `SELECT COUNT(DISTINCT i.rec_id) FROM call_invitees i JOIN calls c ON c.rec_id = i.rec_id
		WHERE i.user_id = ? AND c.initiator <> ?
		AND (i.outcome IN ('timeout', 'canceled') OR (i.outcome = 'waiting' AND c.ended_at IS NOT NULL))
		AND i.invited_at > COALESCE((SELECT seen_at FROM history_seen WHERE user_id = ?), 0)
		AND NOT EXISTS (SELECT 1 FROM call_members m WHERE m.rec_id = i.rec_id AND m.user_id = i.user_id)
		AND NOT EXISTS (SELECT 1 FROM call_invitees j WHERE j.rec_id = i.rec_id AND j.user_id = i.user_id AND j.outcome IN ('accepted', 'declined', 'busy'))`
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(query), user, user, user).Scan(&n); err != nil {
		return 0, fmt.Errorf("history: unseen missed: %w", err)
	}
	return n, nil
}
