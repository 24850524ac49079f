package media

import (
	"testing"
	"time"
)

func TestLatencyHistogramQuantiles(t *testing.T) {
	var h LatencyHistogram
	for i := 1; i <= 1000; i++ {
		h.Observe(time.Duration(i) * time.Microsecond) // 1 µs .. 1 ms, uniform
	}
	s := h.Snapshot()
	if s.Count() != 1000 {
		t.Fatalf("count %d", s.Count())
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := s.Quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*1.26 {
			t.Errorf("q%.2f = %v, want %v (+25%%)", c.q, got, c.want)
		}
	}
	h.Observe(time.Hour) // clamps into the last bucket
	if d := h.Snapshot().Sub(s); d.Count() != 1 || d.Quantile(0.5) < time.Minute {
		t.Fatalf("delta count %d q50 %v", d.Count(), d.Quantile(0.5))
	}
	var empty LatencySnapshot
	if empty.Quantile(0.99) != 0 {
		t.Fatal("quantile of nothing")
	}
}
