package sfu

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// layerReports records OnPublisherLayers and applies each report to the
// test publisher, as a client would: layers not named stop sending.
type layerReports struct {
	mu   sync.Mutex
	last []string
	n    int
	pt   *pubTrack // set once the track exists; guarded by mu
}

func (r *layerReports) report(_ *UpTrack, active []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.n = active, r.n+1
	r.applyLocked()
}

func (r *layerReports) applyLocked() {
	if r.pt == nil || r.last == nil {
		return
	}
	for _, l := range r.pt.layers {
		l.paused.Store(!slices.Contains(r.last, l.rid))
	}
}

func (r *layerReports) attach(pt *pubTrack) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pt = pt
	r.applyLocked()
}

func (r *layerReports) is(want ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Equal(r.last, want)
}

// TestUnwatchedLayersArePaused proves, with real Pion peers, that the server
// asks the publisher to pause every simulcast layer nobody watches except the
// lowest, that a paused layer stops arriving (the publisher obeys), and that
// a subscriber who then asks for it gets it again: the layer is resumed, its
// keyframe requested, and the subscriber switches to it.
func TestUnwatchedLayersArePaused(t *testing.T) {
	env := newTestEnv(t)
	reports := &layerReports{}
	alice := env.newPeerWith("alice", func(c *PeerConfig) { c.OnPublisherLayers = reports.report })
	bob := env.newPeer("bob")
	_, pt, up := env.publishVideo(alice, 10*time.Millisecond, "q", "h", "f")
	reports.attach(pt)

	// Nobody subscribes: only the fallback layer stays on.
	waitFor(t, waitTimeout, "report [q] without subscribers", func() bool { return reports.is("q") })
	waitFor(t, waitTimeout, "h and f stop arriving", func() bool { return up.activeSlots(up.now()) == 0b001 })

	// A subscriber at the default quality (high) needs f: resumed (with h
	// until f flows, as a publisher may not afford f).
	sub := env.newSubscriber(bob, false)
	d, err := bob.Subscribe(up, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	lastLayer := func() int {
		p := rt.packets()
		if len(p) == 0 {
			return -1
		}
		l, _, _ := parseVP8Payload(p[len(p)-1].payload)
		return l
	}
	waitFor(t, waitTimeout, "report [q f]", func() bool { return reports.is("q", "f") })
	start := time.Now()
	waitFor(t, waitTimeout, "subscriber receives f", func() bool { return lastLayer() == 2 })
	t.Logf("f reached the subscriber %v after the resume report", time.Since(start))
	waitFor(t, waitTimeout, "h paused once f flows", func() bool { return pt.layers[1].paused.Load() })

	// Down to low: f is paused again and stops arriving; h stays off.
	if err := bob.SetQuality(up.ID(), QualityLow); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "report [q] after low", func() bool { return reports.is("q") })
	waitFor(t, waitTimeout, "subscriber receives q", func() bool { return lastLayer() == 0 })
	waitFor(t, waitTimeout, "f stops arriving", func() bool { return up.activeSlots(up.now()) == 0b001 })
	sentF := pt.layers[2].sentN.Load()
	n := rt.count()
	waitFor(t, waitTimeout, "q flows on", func() bool { return rt.count() > n+30 })
	if got := pt.layers[2].sentN.Load(); got != sentF {
		t.Fatalf("publisher sent %d f packets while f was paused", got-sentF)
	}

	// Medium resumes h (and only h).
	if err := bob.SetQuality(up.ID(), QualityMedium); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "report [q h]", func() bool { return reports.is("q", "h") })
	waitFor(t, waitTimeout, "subscriber receives h", func() bool { return lastLayer() == 1 })
	if d.Layer() != "h" {
		t.Fatalf("DownTrack.Layer() = %q, want h", d.Layer())
	}

	// Off, then gone: back to the fallback only.
	if err := bob.SetQuality(up.ID(), QualityOff); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "report [q] after off", func() bool { return reports.is("q") })
	if err := bob.SetQuality(up.ID(), QualityHigh); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "report [q f] after high", func() bool { return reports.is("q", "f") })
	bob.Unsubscribe(up.ID())
	waitFor(t, waitTimeout, "report [q] after unsubscribe", func() bool { return reports.is("q") })
}
