package push

import (
	"context"
	"errors"
	"sync"
	"time"
)

// job is one push to one registration.
type job struct {
	reg Registration
	msg Message
}

// sender owns one provider's queue and its workers.
type sender struct {
	p    Provider
	jobs chan job
	d    *Dispatcher
}

// enqueue queues j without blocking; it reports false when the queue is
// full.
func (s *sender) enqueue(j job) bool {
	select {
	case s.jobs <- j:
		return true
	default:
		return false
	}
}

// run is one worker: it sends jobs until ctx ends.
func (s *sender) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.jobs:
			s.send(ctx, j)
		}
	}
}

// send delivers one job, retrying with exponential backoff.
func (s *sender) send(ctx context.Context, j job) {
	cfg, m, name := s.d.cfg, s.d.m, s.p.Name()
	backoff := cfg.Backoff
	log := s.d.log.With().Str("provider", name).Str("kind", j.msg.Kind).Str("user_id", j.reg.User).
		Str("registration_id", j.reg.ID).Str("call_id", j.msg.CallID).Logger()
	for attempt := 1; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, cfg.SendTimeout)
		err := s.p.Send(sctx, j.reg, j.msg)
		cancel()
		switch {
		case err == nil:
			m.sent.WithLabelValues(name, j.msg.Kind).Inc()
			return
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrGone):
			m.failures.WithLabelValues(name, "gone").Inc()
			log.Info().Err(err).Msg("push target gone; registration removed")
			s.d.remove(ctx, j.reg)
			return
		case errors.Is(err, ErrPermanent):
			m.failures.WithLabelValues(name, "refused").Inc()
			log.Warn().Err(err).Msg("push refused")
			return
		}
		if attempt >= cfg.Attempts || (j.msg.Kind == KindRing && !j.msg.ExpiresAt.IsZero() && time.Now().Add(backoff).After(j.msg.ExpiresAt)) {
			m.failures.WithLabelValues(name, "exhausted").Inc()
			log.Warn().Err(err).Int("attempts", attempt).Msg("push failed")
			return
		}
		m.retries.WithLabelValues(name).Inc()
		log.Debug().Err(err).Dur("backoff", backoff).Msg("push failed, retrying")
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, cfg.MaxBackoff)
	}
}
