package history

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// writeTimeout bounds one attempt to write a batch.
const writeTimeout = 10 * time.Second

// run is the writer goroutine: it writes queued ops in batches, runs the
// retention job, and on Close drains the queue. It exits when the queue is
// drained after Close, or when Close's context ends.
func (r *Recorder) run() {
	defer close(r.done)
	tick := time.NewTicker(r.cfg.RetentionEvery)
	defer tick.Stop()
	r.expire()
	batch := make([]Op, 0, r.cfg.BatchSize)
	for {
		select {
		case op := <-r.queue:
			batch = r.fill(append(batch[:0], op))
			if !r.write(batch) {
				r.dropRest(len(batch))
				return
			}
		case <-tick.C:
			r.expire()
		case <-r.stop:
			for {
				batch = r.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				if !r.write(batch) {
					r.dropRest(len(batch))
					return
				}
			}
		}
	}
}

// fill adds queued ops to batch without waiting, up to BatchSize.
func (r *Recorder) fill(batch []Op) []Op {
	for len(batch) < r.cfg.BatchSize {
		select {
		case op := <-r.queue:
			batch = append(batch, op)
		default:
			return batch
		}
	}
	return batch
}

// write writes batch, retrying with backoff until it succeeds; it returns
// false only when Close gave up.
func (r *Recorder) write(batch []Op) bool {
	wait := r.cfg.RetryMin
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		go func() { // exits when the attempt ends (cancel below) or Close gives up
			select {
			case <-r.quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		err := r.cfg.Store.Write(ctx, batch)
		cancel()
		if err == nil {
			r.m.written.Add(float64(len(batch)))
			r.m.batches.Inc()
			r.pending.Add(-int64(len(batch)))
			if attempt > 1 {
				r.log.Info().Int("attempts", attempt).Int("ops", len(batch)).Msg("call history written after retries")
			}
			return true
		}
		r.m.errors.Inc()
		if attempt == 1 || attempt%20 == 0 {
			r.log.Warn().Err(err).Int("attempt", attempt).Int("ops", len(batch)).Msg("call history write failed; retrying")
		}
		select {
		case <-time.After(wait):
		case <-r.quit:
			return false
		}
		wait = min(wait*2, r.cfg.RetryMax)
	}
}

// dropRest counts the current batch of n ops and everything still queued
// as lost at shutdown.
func (r *Recorder) dropRest(n int) {
	for {
		select {
		case <-r.queue:
			n++
			continue
		default:
		}
		break
	}
	r.pending.Add(-int64(n))
	r.m.dropped.WithLabelValues("shutdown").Add(float64(n))
	r.log.Error().Int("ops", n).Msg("call history lost at shutdown: the database was unavailable")
}

// expire deletes calls older than the retention period.
func (r *Recorder) expire() {
	if r.cfg.Retention < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := r.cfg.Store.DeleteBefore(ctx, time.Now().Add(-r.cfg.Retention))
	if err != nil {
		r.log.Warn().Err(err).Msg("call history retention failed; will retry")
		return
	}
	r.m.removed.Add(float64(n))
	if n > 0 {
		r.log.Info().Int64("calls", n).Msg("call history retention: old calls deleted")
	}
}

// counterValue reads a counter's current value.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
