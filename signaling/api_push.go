package signaling

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ringsfu/ringsfu/room"
)

// apiListPush returns one user's push registrations (§9.6).
func (s *Server) apiListPush(w http.ResponseWriter, r *http.Request) (any, error) {
	reg, err := s.pushRegistry()
	if err != nil {
		return nil, err
	}
	u, err := pathID(r, "userID", maxIDLen)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), pushTimeout)
	defer cancel()
	rs, err := reg.List(ctx, room.UserID(u))
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", u).Msg("push registrations read failed")
		return nil, unavailable("push registrations are unavailable, try again later")
	}
	if rs == nil {
		rs = []PushRegistration{}
	}
	return struct {
		Registrations []PushRegistration `json:"registrations"`
	}{rs}, nil
}

// apiRemovePush removes one of a user's push registrations (§9.6).
func (s *Server) apiRemovePush(w http.ResponseWriter, r *http.Request) (any, error) {
	reg, err := s.pushRegistry()
	if err != nil {
		return nil, err
	}
	u, err := pathID(r, "userID", maxIDLen)
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "registrationID", maxIDLen)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), pushTimeout)
	defer cancel()
	n, err := reg.Unregister(ctx, room.UserID(u), "", id)
	if err != nil {
		s.log.Warn().Err(err).Str("user_id", u).Msg("push registration removal failed")
		return nil, unavailable("push registrations are unavailable, try again later")
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no push registration %s for user %s", room.ErrNotFound, id, u)
	}
	return UnregisterPushResult{Removed: n}, nil
}
