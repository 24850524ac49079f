package signaling

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
)

// Webhook headers. The signature is hex(HMAC-SHA256(secret, timestamp + "." +
// body)); receivers should refuse timestamps far from their clock.
const (
	HeaderWebhookTimestamp = "X-Ringsfu-Timestamp"
	HeaderWebhookSignature = "X-Ringsfu-Signature"
	HeaderWebhookEventID   = "X-Ringsfu-Event-Id"
)

// WebhookConfig configures webhook delivery.
type WebhookConfig struct {
	// URLs are the receivers; every event goes to each.
	URLs []string
	// AppID is put in every body; Secret signs it.
	AppID  string
	Secret string
	// Client sends the requests. Default: 10 s timeout.
	Client *http.Client
	// Workers per receiver; events of one call always go through the same
	// worker, in order. Default 4.
	Workers int
	// QueueSize bounds each worker's backlog; when full the oldest event is
	// dropped (and counted), never blocking a room. Default 10000.
	QueueSize int
	// MaxAttempts per event before it is given up. Default 10.
	MaxAttempts int
	// Backoff is the first retry delay, doubled each time up to MaxBackoff.
	// Defaults 200 ms and 30 s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Registerer receives delivery metrics (nil: none).
	Registerer prometheus.Registerer
	Logger     zerolog.Logger
}

// WebhookEvent is the JSON body of one webhook request.
type WebhookEvent struct {
	ID        string `json:"id"`
	Event     string `json:"event"`
	AppID     string `json:"appId"`
	CreatedAt string `json:"createdAt"`
	CallID    string `json:"callID"`
	Data      any    `json:"data"`
}

// Webhooks delivers call lifecycle events to HTTP receivers: at least once,
// with retries and backoff, in order per call, never blocking the caller.
// It implements room.Observer.
type Webhooks struct {
	cfg      WebhookConfig
	log      zerolog.Logger
	workers  [][]*hookWorker // per URL, per shard
	wg       sync.WaitGroup
	stop     chan struct{}
	once     sync.Once
	stopOnce sync.Once

	delivered *prometheus.CounterVec
	dropped   prometheus.Counter
	failed    prometheus.Counter
}

var _ room.Observer = (*Webhooks)(nil)

// NewWebhooks starts the delivery workers.
func NewWebhooks(cfg WebhookConfig) *Webhooks {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	w := &Webhooks{
		cfg:  cfg,
		log:  cfg.Logger.With().Str("component", "webhooks").Logger(),
		stop: make(chan struct{}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ringsfu", Name: "webhooks_delivered_total",
			Help: "Webhook events delivered, by event."}, []string{"event"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ringsfu", Name: "webhooks_dropped_total",
			Help: "Webhook events dropped because a receiver's queue was full."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ringsfu", Name: "webhooks_failed_total",
			Help: "Webhook events given up after every attempt failed."}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(w.delivered, w.dropped, w.failed)
	}
	for _, u := range cfg.URLs {
		shards := make([]*hookWorker, cfg.Workers)
		for i := range shards {
			hw := &hookWorker{hooks: w, url: u, wake: make(chan struct{}, 1)}
			shards[i] = hw
			w.wg.Add(1)
			go hw.run()
		}
		w.workers = append(w.workers, shards)
	}
	return w
}

// Close stops delivery after trying to send what is queued until ctx ends;
// then in-flight retries are abandoned. It is idempotent.
func (w *Webhooks) Close(ctx context.Context) error {
	w.once.Do(func() {
		for _, shards := range w.workers {
			for _, hw := range shards {
				hw.mu.Lock()
				hw.closing = true
				hw.mu.Unlock()
				hw.signal()
			}
		}
	})
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		w.stopOnce.Do(func() { close(w.stop) })
		<-done
		return fmt.Errorf("webhooks: %w", ctx.Err())
	}
}

// emit queues an event for every receiver.
func (w *Webhooks) emit(event string, call room.CallID, data any) {
	if len(w.workers) == 0 {
		return
	}
	ev := WebhookEvent{ID: newEventID(), Event: event, AppID: w.cfg.AppID, CreatedAt: wireTime(time.Now()),
		CallID: string(call), Data: data}
	body, err := json.Marshal(ev)
	if err != nil {
		w.log.Error().Err(err).Str("event", event).Msg("encode webhook")
		return
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(call))
	shard := int(h.Sum32() % uint32(w.cfg.Workers))
	for _, shards := range w.workers {
		shards[shard].push(hookItem{id: ev.ID, event: event, body: body})
	}
}

// newEventID returns a unique event id.
func newEventID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("signaling: crypto/rand failed: %v", err))
	}
	return "evt_" + hex.EncodeToString(b[:])
}

// Sign returns the signature header value for body at timestamp ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// hookItem is one queued event for one receiver.
type hookItem struct {
	id, event string
	body      []byte
}

// hookWorker delivers one receiver's events of one shard of calls, in order.
type hookWorker struct {
	hooks *Webhooks
	url   string
	wake  chan struct{}

	mu      sync.Mutex
	queue   []hookItem // guarded by mu
	closing bool       // guarded by mu
}

func (hw *hookWorker) signal() {
	select {
	case hw.wake <- struct{}{}:
	default:
	}
}

// push queues an item, dropping the oldest when full.
func (hw *hookWorker) push(it hookItem) {
	hw.mu.Lock()
	if len(hw.queue) >= hw.hooks.cfg.QueueSize {
		hw.queue = hw.queue[1:]
		hw.hooks.dropped.Inc()
	}
	hw.queue = append(hw.queue, it)
	hw.mu.Unlock()
	hw.signal()
}

// run delivers until closed and drained, or stopped.
func (hw *hookWorker) run() {
	defer hw.hooks.wg.Done()
	for {
		hw.mu.Lock()
		if len(hw.queue) == 0 {
			closing := hw.closing
			hw.mu.Unlock()
			if closing {
				return
			}
			select {
			case <-hw.wake:
				continue
			case <-hw.hooks.stop:
				return
			}
		}
		it := hw.queue[0]
		hw.mu.Unlock()
		if !hw.deliver(it) {
			return // stopped
		}
		hw.mu.Lock()
		if len(hw.queue) > 0 && hw.queue[0].id == it.id {
			hw.queue = hw.queue[1:]
		}
		hw.mu.Unlock()
	}
}

// deliver sends it until a 2xx answer or MaxAttempts, backing off between
// attempts. It returns false if delivery was stopped.
func (hw *hookWorker) deliver(it hookItem) bool {
	w := hw.hooks
	backoff := w.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err := hw.post(it)
		if err == nil {
			w.delivered.WithLabelValues(it.event).Inc()
			return true
		}
		if attempt >= w.cfg.MaxAttempts {
			w.failed.Inc()
			w.log.Warn().Err(err).Str("event_id", it.id).Str("url", hw.url).Msg("webhook given up")
			return true
		}
		w.log.Debug().Err(err).Str("event_id", it.id).Int("attempt", attempt).Msg("webhook retry")
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-w.stop:
			t.Stop()
			return false
		}
		backoff *= 2
		if backoff > w.cfg.MaxBackoff {
			backoff = w.cfg.MaxBackoff
		}
	}
}

// post makes one signed request.
func (hw *hookWorker) post(it hookItem) error {
	w := hw.hooks
	req, err := http.NewRequest(http.MethodPost, hw.url, bytes.NewReader(it.body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderWebhookSignature, Sign(w.cfg.Secret, ts, it.body))
	req.Header.Set(HeaderWebhookEventID, it.id)
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook post: status %d", resp.StatusCode)
	}
	return nil
}
