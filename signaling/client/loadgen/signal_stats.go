package loadgen

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/ringsfu/ringsfu/signaling/client"
)

// Error kinds counted besides the server's wire codes (PROTOCOL.md §2).
const (
	ErrTimeout    = "timeout"    // no reply or event within SignalConfig.Timeout
	ErrClosed     = "closed"     // the connection ended
	ErrUnexpected = "unexpected" // a reply or event that the flow rules out
	ErrOther      = "other"      // a dial or transport failure
)

// errorCode classifies a failed request or wait: the wire code of an
// error reply, else one of the kinds above.
func errorCode(err error) string {
	if code := client.Code(err); code != "" {
		return code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout
	case errors.Is(err, client.ErrClosed):
		return ErrClosed
	case errors.Is(err, errUnexpected):
		return ErrUnexpected
	}
	return ErrOther
}

// errUnexpected marks a reply or event a flow did not expect.
var errUnexpected = errors.New("loadgen: unexpected answer")

// opStats is what one request type (or awaited event) measured.
type opStats struct {
	lat    []float64 // milliseconds, successes only
	errors int64
}

// recorder gathers latencies by operation and errors by code; its
// methods are safe for concurrent use.
type recorder struct {
	mu     sync.Mutex
	ops    map[string]*opStats // guarded by mu
	flows  map[string]*opStats // guarded by mu
	errs   map[string]int64    // guarded by mu: by code
	perURL map[string]int      // guarded by mu: connections opened
}

func newRecorder() *recorder {
	return &recorder{ops: map[string]*opStats{}, flows: map[string]*opStats{}, errs: map[string]int64{}, perURL: map[string]int{}}
}

// op records one request or awaited event of kind name that took d, or
// failed with err. It returns err.
func (r *recorder) op(name string, d time.Duration, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.ops[name]
	if s == nil {
		s = &opStats{}
		r.ops[name] = s
	}
	if err != nil {
		s.errors++
		r.errs[errorCode(err)]++
		return err
	}
	s.lat = append(s.lat, float64(d.Microseconds())/1000)
	return nil
}

// flow records one flow cycle.
func (r *recorder) flow(name string, d time.Duration, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.flows[name]
	if s == nil {
		s = &opStats{}
		r.flows[name] = s
	}
	if failed {
		s.errors++
		return
	}
	s.lat = append(s.lat, float64(d.Microseconds())/1000)
}

// dialed counts a connection opened to url.
func (r *recorder) dialed(url string) {
	r.mu.Lock()
	r.perURL[url]++
	r.mu.Unlock()
}

// OpSummary is one operation's (or flow's) figures over the window.
type OpSummary struct {
	Count     int     `json:"count"`
	Errors    int64   `json:"errors"`
	PerSecond float64 `json:"per_sec"`
	MsP50     float64 `json:"p50_ms"`
	MsP99     float64 `json:"p99_ms"`
	MsMax     float64 `json:"max_ms"`
}

// summarize turns stats into summaries over secs seconds.
func summarize(m map[string]*opStats, secs float64) map[string]OpSummary {
	out := make(map[string]OpSummary, len(m))
	for name, s := range m {
		lat := append([]float64(nil), s.lat...)
		sort.Float64s(lat)
		sum := OpSummary{Count: len(lat), Errors: s.errors, MsP50: percentile(lat, 0.5), MsP99: percentile(lat, 0.99)}
		if len(lat) > 0 {
			sum.MsMax = lat[len(lat)-1]
		}
		if secs > 0 {
			sum.PerSecond = float64(len(lat)) / secs
		}
		out[name] = sum
	}
	return out
}
