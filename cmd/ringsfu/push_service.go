package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/history"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/push"
)

// WebPushKeyPath serves the VAPID public key that browsers subscribe with.
const WebPushKeyPath = "/v1/push/webpush-key"

// pushService is the running push dispatcher and what the web client
// needs to subscribe.
type pushService struct {
	d       *push.Dispatcher
	webPush *push.WebPush
}

// startPush builds the configured providers and starts the dispatcher;
// nil when no provider is configured or there is no database to read
// registrations from. It says which once in the log.
func startPush(cfg Config, hist *callHistory, log zerolog.Logger, reg prometheus.Registerer) (*pushService, error) {
	ps := &pushService{}
	var providers []push.Provider
	var names []string
	if k := cfg.Push.VAPIDKey; k != "" {
		key, err := push.ParseVAPIDKey(k)
		if err != nil {
			return nil, fmt.Errorf("--webpush-vapid-key: %w", err)
		}
		if ps.webPush, err = push.NewWebPush(push.WebPushConfig{Key: key, Subject: cfg.Push.VAPIDSubject}); err != nil {
			return nil, fmt.Errorf("web push: %w", err)
		}
		providers, names = append(providers, ps.webPush), append(names, "webpush")
	}
	more, err := nativeProviders(cfg)
	if err != nil {
		return nil, err
	}
	for _, p := range more {
		providers, names = append(providers, p), append(names, p.Name())
	}
	switch {
	case len(providers) == 0:
		log.Info().Msg("push notifications off: no provider configured (--apns-key, --fcm-service-account, --webpush-vapid-key)")
		return nil, nil
	case hist == nil:
		log.Warn().Strs("providers", names).Msg("push notifications off: registrations live in the history database, which --history=false turns off")
		return nil, nil
	}
	ps.d = push.NewDispatcher(push.Config{Store: pushStore{hist.store}, Providers: providers, Registerer: reg,
		Logger: log.With().Str("component", "push").Logger()})
	log.Info().Strs("providers", names).Msg("push notifications on")
	return ps, nil
}

// close stops the dispatcher.
func (ps *pushService) close() {
	if ps != nil {
		ps.d.Close()
	}
}

// sink returns what signaling reports rings to, nil when push is off.
func (ps *pushService) sink() signaling.PushSink {
	if ps == nil {
		return nil
	}
	return ps.d
}

// observer adds the dispatcher (for the invite's notification text) to o.
func (ps *pushService) observer(o room.Observer) room.Observer {
	if ps == nil {
		return o
	}
	return signaling.Observers{o, ps.d}
}

// serveWebPushKey answers GET WebPushKeyPath with {"vapidPublicKey"}; 404
// when Web Push is off.
func (ps *pushService) serveWebPushKey(w http.ResponseWriter, _ *http.Request) {
	if ps == nil || ps.webPush == nil {
		http.Error(w, `{"error":{"code":"not_found","message":"web push is not enabled on this server"}}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"vapidPublicKey": ps.webPush.PublicKey()})
}

// pushStore adapts the history store to push.Store.
type pushStore struct{ st *history.Store }

func (p pushStore) Registrations(ctx context.Context, user string) ([]push.Registration, error) {
	rs, err := p.st.Pushes(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]push.Registration, len(rs))
	for i, r := range rs {
		out[i] = push.Registration{ID: r.ID, User: r.User, Device: r.Device, Provider: r.Provider, Target: r.Target,
			VoIP: r.VoIP, AppID: r.AppID, Locale: r.Locale}
	}
	return out, nil
}

func (p pushStore) Remove(ctx context.Context, user, id string) error {
	_, err := p.st.DeletePush(ctx, user, id)
	return err
}
