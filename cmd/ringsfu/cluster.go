package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/sfu"
	"github.com/ringsfu/ringsfu/signaling"
)

// clusterNode is this process's membership of a cluster: the store, the
// node's shared state and its relay, and the goroutines driving them.
type clusterNode struct {
	store  *cluster.Store
	node   *cluster.Node
	relay  *cluster.Relay
	srv    atomic.Pointer[signaling.Server]
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startCluster joins the cluster on cfg.RedisURL: it checks that Redis
// answers, starts the relay reader and the node's heartbeat, lease renewal
// and deadline sweep, and returns what signaling needs. Relayed messages
// are dropped until attach is called.
func startCluster(cfg Config, log zerolog.Logger, stats *sfu.Stats) (*clusterNode, *signaling.Cluster, error) {
	store, err := cluster.Open(cluster.Config{URL: cfg.RedisURL, NodeID: cfg.NodeID})
	if err != nil {
		return nil, nil, err
	}
	log = log.With().Str("node_id", store.NodeID()).Logger()
	cn := &clusterNode{store: store}
	ctx, cancel := context.WithCancel(context.Background())
	cn.cancel = cancel
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	defer pcancel()
	rtt, err := store.Ping(pctx)
	if err != nil {
		cancel()
		_ = store.Close()
		return nil, nil, fmt.Errorf("cluster: redis at %s: %w", redactURL(cfg.RedisURL), err)
	}
	cpu := &cpuMeter{stats: stats}
	cn.node = cluster.NewNode(store, cluster.NodeConfig{
		Logger: log,
		Load:   cpu.load,
		Restore: func(snapshot []byte) error {
			s := cn.srv.Load()
			if s == nil {
				return errors.New("cluster: not serving yet")
			}
			return s.Adopt(snapshot)
		},
		Resync: func() {
			if s := cn.srv.Load(); s != nil {
				s.Manager().Resync()
				s.ResyncPresence()
			}
		},
		LeaseLost: func(call room.CallID) {
			log.Error().Str("call_id", string(call)).Msg("lease lost to another node: abandoning the call here")
			s := cn.srv.Load()
			if s == nil {
				return
			}
			cn.wg.Add(1)
			go func() { defer cn.wg.Done(); s.Manager().Abandon(call) }()
		},
	})
	cn.relay = cluster.NewRelay(store, 3*time.Second, func(m cluster.Message) {
		if m.Kind == cluster.KindAdopt {
			// A node shutting down hands this one a call: adopt it now,
			// off the relay's reader. The reader is counted in cn.wg, so
			// the counter is not zero here.
			cn.wg.Add(1)
			go func() {
				defer cn.wg.Done()
				if _, err := cn.node.Adopt(ctx, room.CallID(m.Body)); err != nil {
					log.Warn().Err(err).Str("call_id", string(m.Body)).Msg("adopt a handed-over call")
				}
			}()
			return
		}
		if s := cn.srv.Load(); s != nil {
			s.HandleRelayed(m.From, m.Kind, m.Corr, m.Body)
		}
	})
	// One heartbeat before serving: a node takes calls only while its own
	// heartbeat is fresh.
	if err := store.Heartbeat(pctx, cpu.load()); err != nil {
		cancel()
		_ = store.Close()
		return nil, nil, err
	}
	if err := cn.relay.Start(pctx); err != nil {
		cancel()
		_ = store.Close()
		return nil, nil, err
	}
	cn.wg.Add(2)
	go func() { defer cn.wg.Done(); cn.relay.Run(ctx) }()
	go func() { defer cn.wg.Done(); cn.node.Run(ctx) }()
	log.Info().Dur("redis_rtt", rtt).Msg("cluster mode: joined")
	return cn, &signaling.Cluster{
		NodeID:    store.NodeID(),
		Index:     cn.node,
		Ownership: cn.node,
		Deadlines: cn.node,
		Persister: cn.node,
		Owners:    cn.node,
		Directory: store,
		Resumes:   store,
		Relay:     cn.relay,
		Placer:    cn.node,
		Adopter:   cn.node,
	}, nil
}

// attach routes relayed messages to srv.
func (cn *clusterNode) attach(srv *signaling.Server) { cn.srv.Store(srv) }

// Close stops the node's goroutines and closes the store; it is safe on a
// nil node.
func (cn *clusterNode) Close() {
	if cn == nil {
		return
	}
	cn.cancel()
	cn.wg.Wait()
	_ = cn.store.Close()
}

// redactURL hides a password in a Redis URL for logs.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable redis url)"
	}
	return p.Redacted()
}

// registerMetrics adds the cluster's figures to /metrics: this node's id,
// the cluster's live node count, the calls this node owns and the Redis
// round-trip time (measured at scrape time, bounded by the store's
// operation timeout), and the commands and round trips it sent to Redis.
// Relayed messages are counted by signaling.
func (cn *clusterNode) registerMetrics(reg prometheus.Registerer) {
	info := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ringsfu", Name: "cluster_node_info",
		Help: "Always 1; the node_id label names this node.", ConstLabels: prometheus.Labels{"node_id": cn.store.NodeID()}})
	info.Set(1)
	reg.MustRegister(
		info,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "ringsfu", Name: "cluster_nodes",
			Help: "Nodes with a live heartbeat in the cluster."}, func() float64 {
			live, _, err := cn.store.Nodes(context.Background())
			if err != nil {
				return 0
			}
			return float64(len(live))
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "ringsfu", Name: "cluster_calls_owned",
			Help: "Calls this node owns (holds the lease of)."}, func() float64 { return float64(cn.node.Owned()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "ringsfu", Name: "cluster_redis_rtt_seconds",
			Help: "Redis round-trip time at scrape (-1 when Redis does not answer)."}, func() float64 {
			rtt, err := cn.store.Ping(context.Background())
			if err != nil {
				return -1
			}
			return rtt.Seconds()
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "ringsfu", Name: "cluster_redis_commands_total",
			Help: "Commands this node sent to Redis (a script call counts once)."}, func() float64 {
			c, _ := cn.store.RoundTrips()
			return float64(c)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "ringsfu", Name: "cluster_redis_round_trips_total",
			Help: "Round trips this node made to Redis (a pipeline or transaction counts once)."}, func() float64 {
			_, t := cn.store.RoundTrips()
			return float64(t)
		}),
		newRoundTripKinds(cn.store),
	)
}

// roundTripKinds exposes the node's Redis round trips by kind (command
// name, "script:<key type>" or "pipeline:<commands>"; a bounded set) as
// ringsfu_cluster_redis_round_trips_by_kind_total, read at scrape.
type roundTripKinds struct {
	store *cluster.Store
	desc  *prometheus.Desc
}

func newRoundTripKinds(store *cluster.Store) *roundTripKinds {
	return &roundTripKinds{store: store, desc: prometheus.NewDesc("ringsfu_cluster_redis_round_trips_by_kind_total",
		"Round trips this node made to Redis, by command, script (by its first key's type) or pipeline.", []string{"kind"}, nil)}
}

// Describe implements prometheus.Collector.
func (k *roundTripKinds) Describe(ch chan<- *prometheus.Desc) { ch <- k.desc }

// Collect implements prometheus.Collector.
func (k *roundTripKinds) Collect(ch chan<- prometheus.Metric) {
	for kind, n := range k.store.RoundTripsByKind() {
		ch <- prometheus.MustNewConstMetric(k.desc, prometheus.CounterValue, float64(n), kind)
	}
}
