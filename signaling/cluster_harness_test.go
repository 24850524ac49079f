package signaling_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringsfu/ringsfu/room"
	"github.com/ringsfu/ringsfu/room/cluster"
	"github.com/ringsfu/ringsfu/room/cluster/redistest"
	"github.com/ringsfu/ringsfu/signaling"
)

// clusterNodesEnv, set to a number of nodes (2 or more), runs every test
// built on newHarness against that many in-process servers sharing one
// private redis-server, each connection dialled to the next node in turn
// (a round-robin load balancer without sticky sessions): the single-node
// contract, cluster-wide. `make test-cluster-contract` sets it.
const clusterNodesEnv = "RINGSFU_TEST_CLUSTER_NODES"

// clusterNodes returns the node count asked for by clusterNodesEnv; 1 (a
// single node without Redis) when unset.
func clusterNodes(t *testing.T) int {
	v := os.Getenv(clusterNodesEnv)
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a node count", clusterNodesEnv, v)
	}
	return n
}

// testNode is one in-process cluster node: the store, the node's shared
// state, its relay and the goroutines driving them (as cmd wires them).
type testNode struct {
	store  *cluster.Store
	node   *cluster.Node
	relay  *cluster.Relay
	srv    atomic.Pointer[signaling.Server]
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startTestNode joins the cluster on redisURL as id and returns the
// signaling.Cluster for its server.
func startTestNode(t *testing.T, redisURL, id string) (*testNode, *signaling.Cluster) {
	t.Helper()
	store, err := cluster.Open(cluster.Config{URL: redisURL, NodeID: id})
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{store: store}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.node = cluster.NewNode(store, cluster.NodeConfig{
		Restore: func(snapshot []byte) error {
			s := n.srv.Load()
			if s == nil {
				return errors.New("not serving yet")
			}
			return s.Adopt(snapshot)
		},
		Resync: func() {
			if s := n.srv.Load(); s != nil {
				s.Manager().Resync()
				s.ResyncPresence()
			}
		},
		LeaseLost: func(call room.CallID) {
			if s := n.srv.Load(); s != nil {
				n.wg.Add(1)
				go func() { defer n.wg.Done(); s.Manager().Abandon(call) }()
			}
		},
	})
	n.relay = cluster.NewRelay(store, 3*time.Second, func(m cluster.Message) {
		if m.Kind == cluster.KindAdopt {
			n.wg.Add(1)
			go func() { defer n.wg.Done(); _, _ = n.node.Adopt(ctx, room.CallID(m.Body)) }()
			return
		}
		if s := n.srv.Load(); s != nil {
			s.HandleRelayed(m.From, m.Kind, m.Corr, m.Body)
		}
	})
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if err := store.Heartbeat(sctx, cluster.Load{}); err != nil {
		t.Fatal(err)
	}
	if err := n.relay.Start(sctx); err != nil {
		t.Fatal(err)
	}
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.relay.Run(ctx) }()
	go func() { defer n.wg.Done(); n.node.Run(ctx) }()
	return n, &signaling.Cluster{
		NodeID:    id,
		Index:     n.node,
		Ownership: n.node,
		Deadlines: n.node,
		Persister: n.node,
		Owners:    n.node,
		Directory: store,
		Resumes:   store,
		Relay:     n.relay,
		Placer:    n.node,
		Adopter:   n.node,
	}
}

// shutdown shuts every node's server down (each closes its connections
// with 1001); on a single node it is h.srv.Shutdown.
func (h *harness) shutdown(ctx context.Context) error {
	if len(h.srvs) == 0 {
		return h.srv.Shutdown(ctx)
	}
	var errs []error
	for _, s := range h.srvs {
		errs = append(errs, s.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// sessions counts the sessions of every node.
func (h *harness) sessions() int {
	if len(h.srvs) == 0 {
		return h.srv.Sessions()
	}
	n := 0
	for _, s := range h.srvs {
		n += s.Sessions()
	}
	return n
}

// close stops the node's goroutines and its store.
func (n *testNode) close() {
	n.cancel()
	n.wg.Wait()
	_ = n.store.Close()
}

// newClusterHarness starts nodes servers with cfg on one private
// redis-server. h.srv is the first; dial and connect go round the nodes.
func newClusterHarness(t *testing.T, cfg signaling.Config, nodes int) *harness {
	t.Helper()
	rs := redistest.Start(t)
	h := &harness{t: t}
	for i := 0; i < nodes; i++ {
		tn, cl := startTestNode(t, rs.URL(0), fmt.Sprintf("N%d", i+1))
		c := cfg
		c.Cluster = cl
		if c.Registerer != nil {
			// Every node registers in the test's registry under its own
			// label: a test reading a family's sum reads the cluster's.
			c.Registerer = prometheus.WrapRegistererWith(prometheus.Labels{"test_node": cl.NodeID}, c.Registerer)
		}
		srv, err := signaling.New(c)
		if err != nil {
			tn.close()
			t.Fatal(err)
		}
		tn.srv.Store(srv)
		hs := httptest.NewServer(srv)
		url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/v1/signal"
		if i == 0 {
			h.srv, h.hs, h.url = srv, hs, url
		}
		h.urls = append(h.urls, url)
		h.srvs = append(h.srvs, srv)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("shutdown node %d: %v", i+1, err)
			}
			hs.Close()
			tn.close()
		})
	}
	return h
}

// goroutineSlack is how many goroutines above its baseline a leak check
// tolerates: 2 on one node; in cluster mode also the Redis clients'
// transient goroutines (a pool dial, a blocked read) of every node.
func goroutineSlack(t *testing.T) int {
	if n := clusterNodes(t); n > 1 {
		return 2 + 3*n
	}
	return 2
}
