package main

import (
	"context"
	"time"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/history"
	"github.com/ringsfu/ringsfu/signaling"
)

// push returns where signaling stores push registrations: the call-history
// database; nil (registration unavailable) when history is off.
func (h *callHistory) push() signaling.PushRegistry {
	if h == nil {
		return nil
	}
	return pushRegistry{h.store}
}

// pushRegistry adapts the history store to signaling's PushRegistry.
type pushRegistry struct{ st *history.Store }

var _ signaling.PushRegistry = pushRegistry{}

func (p pushRegistry) Register(ctx context.Context, user room.UserID, device room.DeviceID, t signaling.PushTarget) (signaling.PushRegistration, error) {
	r, err := p.st.PutPush(ctx, history.PushRegistration{User: string(user), Device: string(device), Provider: t.Provider,
		Target: t.Target, VoIP: t.VoIP, AppID: t.AppID, Locale: t.Locale}, time.Now())
	if err != nil {
		return signaling.PushRegistration{}, err
	}
	return wirePush(r), nil
}

func (p pushRegistry) Unregister(ctx context.Context, user room.UserID, device room.DeviceID, id string) (int, error) {
	if id == "" {
		return p.st.DeleteDevicePushes(ctx, string(user), string(device))
	}
	ok, err := p.st.DeletePush(ctx, string(user), id)
	if ok {
		return 1, err
	}
	return 0, err
}

func (p pushRegistry) List(ctx context.Context, user room.UserID) ([]signaling.PushRegistration, error) {
	rs, err := p.st.Pushes(ctx, string(user))
	if err != nil {
		return nil, err
	}
	out := make([]signaling.PushRegistration, len(rs))
	for i, r := range rs {
		out[i] = wirePush(r)
	}
	return out, nil
}

// wirePush converts a stored registration to its API form.
func wirePush(r history.PushRegistration) signaling.PushRegistration {
	return signaling.PushRegistration{RegistrationID: r.ID, UserID: r.User, DeviceID: r.Device, Provider: r.Provider,
		VoIP: r.VoIP, AppID: r.AppID, Locale: r.Locale,
		CreatedAt: r.CreatedAt.UTC().Format(wireTime), UpdatedAt: r.UpdatedAt.UTC().Format(wireTime)}
}
