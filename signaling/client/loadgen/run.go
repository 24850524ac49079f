package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// Run places the calls, waits until media flows, measures for
// cfg.Duration, hangs everyone up and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var all []*member
	var allMu sync.Mutex
	defer func() {
		var wg sync.WaitGroup
		for _, m := range all {
			wg.Add(1)
			go func(m *member) { defer wg.Done(); m.close() }(m)
		}
		wg.Wait()
	}()
	var pace <-chan time.Time
	if cfg.Ramp > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / cfg.Ramp))
		defer t.Stop()
		pace = t.C
	}
	start := time.Now()
	run := fmt.Sprintf("%x", start.UnixNano()&0xffffff)
	// Events nobody reads would pile up (a big call sends every member the
	// full invitee list on each change): drop them for members past setup.
	drainStop := make(chan struct{})
	drainDone := make(chan struct{})
	defer func() { close(drainStop); <-drainDone }()
	go func() {
		defer close(drainDone)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-drainStop:
				return
			case <-t.C:
			}
			allMu.Lock()
			ms := append([]*member(nil), all...)
			allMu.Unlock()
			for _, m := range ms {
				if m.ready.Load() {
					m.c.Discard()
				}
			}
		}
	}()
	// Calls are set up concurrently, a few at a time.
	sem := make(chan struct{}, 4)
	errs := make(chan error, cfg.Calls)
	var wg sync.WaitGroup
	for ci := 0; ci < cfg.Calls; ci++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(ci int) {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := setupCall(ctx, &cfg, run, ci, pace, func(m *member) {
				allMu.Lock()
				all = append(all, m)
				allMu.Unlock()
			})
			if err != nil {
				errs <- err
			}
		}(ci)
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		return nil, err
	}
	joined := time.Since(start)
	cfg.Logger.Info().Int("members", len(all)).Dur("took", joined).Msg("all members joined")
	waitFlowing(ctx, &cfg, all)
	return measure(ctx, &cfg, all, joined)
}

// collect drains an error channel.
func collect(ch <-chan error) []error {
	var out []error
	for e := range ch {
		out = append(out, e)
	}
	return out
}

// setupCall places one call with real invitations: member 0 invites the
// others (nine per request, inviting in calling), each accepts, then every
// member starts media and the publishers publish.
func setupCall(ctx context.Context, cfg *Config, run string, ci int, pace <-chan time.Time,
	track func(*member)) ([]*member, error) {
	var ms []*member
	for mi := 0; mi < cfg.Members; mi++ {
		if pace != nil {
			select {
			case <-pace:
			case <-ctx.Done():
				return ms, ctx.Err()
			}
		}
		m, err := dial(ctx, cfg, fmt.Sprintf("load-%s-c%d-m%d", run, ci, mi))
		if err != nil {
			return ms, err
		}
		track(m)
		ms = append(ms, m)
	}
	init := ms[0]
	callID := fmt.Sprintf("load-%s-c%d", run, ci)
	cc := &signaling.CallConfig{CanInvitingInCalling: client.Bool(true)}
	init.joinAt = time.Now()
	if _, err := init.c.Join(ctx, signaling.JoinRequest{CallID: callID, Type: "video", CallConfig: cc}); err != nil {
		return ms, fmt.Errorf("loadgen: create call: %w", err)
	}
	if err := init.startMedia(ctx, callID); err != nil {
		return ms, err
	}
	if cfg.Publishers > 0 {
		if err := init.publish(ctx, cfg); err != nil {
			return ms, err
		}
	}
	init.ready.Store(true)
	for lo := 1; lo < len(ms); lo += 9 {
		hi := min(lo+9, len(ms))
		req := signaling.InviteRequest{Type: "video", CallID: callID}
		for _, m := range ms[lo:hi] {
			req.Invitees = append(req.Invitees, signaling.User{ID: m.id})
		}
		at := time.Now()
		if _, err := init.c.Invite(ctx, req); err != nil {
			return ms, fmt.Errorf("loadgen: invite: %w", err)
		}
		for i, m := range ms[lo:hi] {
			m.joinAt = at
			if _, err := m.c.WaitFor(ctx, signaling.TypeIncomingCall, nil); err != nil {
				return ms, fmt.Errorf("loadgen: %s: no incomingCall: %w", m.id, err)
			}
			if _, err := m.c.Accept(ctx, callID, ""); err != nil {
				return ms, fmt.Errorf("loadgen: %s: accept: %w", m.id, err)
			}
			if err := m.startMedia(ctx, callID); err != nil {
				return ms, err
			}
			if lo+i < cfg.Publishers {
				if err := m.publish(ctx, cfg); err != nil {
					return ms, err
				}
			}
			m.ready.Store(true)
		}
	}
	return ms, nil
}

// expectedTracks is how many tracks each member should receive.
func expectedTracks(cfg *Config, mi int) int {
	per := 0
	if cfg.Video != VideoNone {
		per++
	}
	if cfg.Audio {
		per++
	}
	pubs := cfg.Publishers
	if mi < cfg.Publishers {
		pubs-- // not its own
	}
	return pubs * per
}

// waitFlowing waits (bounded) until every member receives every track.
func waitFlowing(ctx context.Context, cfg *Config, all []*member) {
	deadline := time.Now().Add(30*time.Second + time.Duration(len(all))*50*time.Millisecond)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		missing := 0
		for _, m := range all {
			n := 0
			for _, t := range m.receivedTracks() {
				if t.snap().packets > 0 {
					n++
				}
			}
			if n < expectedTracks(cfg, memberIndex(m.id)) {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		cfg.Logger.Debug().Int("members_missing_media", missing).Msg("waiting for media")
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// memberIndex parses the member index from an id "...-m<N>".
func memberIndex(id string) int {
	n := 0
	mul := 1
	for i := len(id) - 1; i >= 0; i-- {
		c := id[i]
		if c < '0' || c > '9' {
			break
		}
		n += int(c-'0') * mul
		mul *= 10
	}
	return n
}
