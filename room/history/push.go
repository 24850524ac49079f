package history

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// MaxPushPerUser bounds one user's push registrations; registering past
// it drops the least recently updated ones.
const MaxPushPerUser = 20

// PushRegistration is one push target of one of a user's devices.
type PushRegistration struct {
	// ID is derived from the provider and the target, so that registering
	// the same token again updates the row instead of adding one.
	ID       string `json:"registrationID"`
	User     string `json:"userID"`
	Device   string `json:"deviceID"`
	Provider string `json:"provider"`
	// Target is the APNs or FCM token, or the Web Push subscription JSON.
	Target    string    `json:"-"`
	VoIP      bool      `json:"voip"`
	AppID     string    `json:"appID,omitempty"`
	Locale    string    `json:"locale,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// PushID derives a registration id from the provider and the target.
func PushID(provider, target string) string {
	h := sha256.Sum256([]byte(provider + "\n" + target))
	return "pr_" + hex.EncodeToString(h[:12])
}

// PutPush stores r (its ID is derived, its times set) and returns it. A
// target that another user registered before moves to r.User: a device
// that changed hands must not ring its previous owner.
func (s *Store) PutPush(ctx context.Context, r PushRegistration, now time.Time) (PushRegistration, error) {
	if r.User == "" || r.Provider == "" || r.Target == "" {
		return r, errors.New("history: push registration needs a user, a provider and a target")
	}
	r.ID = PushID(r.Provider, r.Target)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("history: put push: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM push_registrations WHERE reg_id = ? AND user_id <> ?`), r.ID, r.User); err != nil {
		return r, fmt.Errorf("history: put push: %w", err)
	}
	voip := 0
	if r.VoIP {
		voip = 1
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO push_registrations
		(user_id, reg_id, device, provider, target, voip, app_id, locale, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, reg_id) DO UPDATE SET device = excluded.device, voip = excluded.voip,
		app_id = excluded.app_id, locale = excluded.locale, updated_at = excluded.updated_at`),
		r.User, r.ID, r.Device, r.Provider, r.Target, voip, r.AppID, r.Locale, ms(now), ms(now))
	if err != nil {
		return r, fmt.Errorf("history: put push: %w", err)
	}
	// Keep the newest MaxPushPerUser.
	_, err = tx.ExecContext(ctx, s.q(`DELETE FROM push_registrations WHERE user_id = ? AND reg_id NOT IN
		(SELECT reg_id FROM push_registrations WHERE user_id = ? ORDER BY updated_at DESC, reg_id LIMIT ?)`),
		r.User, r.User, MaxPushPerUser)
	if err != nil {
		return r, fmt.Errorf("history: put push: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("history: put push: %w", err)
	}
	got, err := s.getPush(ctx, r.User, r.ID)
	if err != nil {
		return r, err
	}
	return got, nil
}

// getPush reads one registration.
func (s *Store) getPush(ctx context.Context, user, id string) (PushRegistration, error) {
	rs, err := s.pushes(ctx, `WHERE user_id = ? AND reg_id = ?`, user, id)
	if err != nil {
		return PushRegistration{}, err
	}
	if len(rs) == 0 {
		return PushRegistration{}, fmt.Errorf("history: push registration %s: %w", id, ErrNotFound)
	}
	return rs[0], nil
}

// Pushes returns user's registrations, oldest first.
func (s *Store) Pushes(ctx context.Context, user string) ([]PushRegistration, error) {
	return s.pushes(ctx, `WHERE user_id = ?`, user)
}

// pushes runs a select with the given WHERE clause.
func (s *Store) pushes(ctx context.Context, where string, args ...any) ([]PushRegistration, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT user_id, reg_id, device, provider, target, voip, app_id, locale,
		created_at, updated_at FROM push_registrations `+where+` ORDER BY created_at, reg_id`), args...)
	if err != nil {
		return nil, fmt.Errorf("history: push registrations: %w", err)
	}
	defer rows.Close()
	var out []PushRegistration
	for rows.Next() {
		var r PushRegistration
		var voip int
		var created, updated int64
		if err := rows.Scan(&r.User, &r.ID, &r.Device, &r.Provider, &r.Target, &voip, &r.AppID, &r.Locale,
			&created, &updated); err != nil {
			return nil, fmt.Errorf("history: push registrations: %w", err)
		}
		r.VoIP = voip != 0
		r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: push registrations: %w", err)
	}
	return out, nil
}

// DeletePush removes user's registration id; it reports whether one was
// there.
func (s *Store) DeletePush(ctx context.Context, user, id string) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM push_registrations WHERE user_id = ? AND reg_id = ?`), user, id)
	if err != nil {
		return false, fmt.Errorf("history: delete push: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DeleteDevicePushes removes every registration of user's device and
// returns how many there were.
func (s *Store) DeleteDevicePushes(ctx context.Context, user, device string) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM push_registrations WHERE user_id = ? AND device = ?`), user, device)
	if err != nil {
		return 0, fmt.Errorf("history: delete device pushes: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
