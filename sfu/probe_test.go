package sfu

import (
	"testing"
	"time"
)

// TestProbeBeforeStepUp runs a subscriber behind a rate-limited loopback
// link (shapedConn) with a GCC-like REMB model, a three-layer publisher of
// about 70, 250 and 980 kbit/s (at 100 packets a second; less when the
// machine is loaded), and checks that:
//   - on a link too narrow for f, the subscriber steps down to h, and the
//     failing probes for f are spaced out (not flooding the link);
//   - when capacity returns, a probe finds it and the subscriber reaches f
//     (the model's estimate only grows with what arrives);
//   - asking for high after low right after congestion steps up through a
//     probe;
//   - when capacity collapses, it steps down to q.
func TestProbeBeforeStepUp(t *testing.T) {
	for _, fast := range []bool{false, true} {
		name := "pion"
		if fast {
			name = "fast"
		}
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t)
			if fast {
				env = newFastTestEnv(t)
			}
			alice, bob := env.newPeer("alice"), env.newPeer("bob")
			pc := env.newClient()
			pt := pc.addVideo("q", "h", "f")
			pt.extra = []int{50, 250, 1150}
			pc.publish(alice, func() []TrackSpec { return []TrackSpec{{Mid: pt.mid(), Source: SourceCamera}} })
			pt.start(10 * time.Millisecond)
			up := alice.nextUpTrack(t)
			waitFor(t, waitTimeout, "layer bitrates measured", func() bool {
				return up.layers[0].bitrate.Load() > 0 && up.layers[2].bitrate.Load() > 0
			})

			link := newShapedConn(t, 3_000_000)
			sub := env.newSubscriberOn(env.newShapedClient(link), bob, false)
			d, err := bob.Subscribe(up, "alice")
			if err != nil {
				t.Fatal(err)
			}
			sub.nextTrack(t)
			sub.rembModel(link, func() uint32 {
				if b := d.bind.Load(); b != nil {
					return b.ssrc
				}
				return 0
			})
			waitFor(t, waitTimeout, "high on a wide link", func() bool { return d.Layer() == "f" })

			// Narrow link (between h and f even if a loaded machine slows the
			// publisher to half its rate): down to h, and f is not tried again
			// more than the backoff allows.
			link.rate.Store(400_000)
			start := time.Now()
			waitFor(t, waitTimeout, "step down from f", func() bool { return d.Layer() != "f" })
			t.Logf("capacity 3 → 0.4 Mbit/s: left f after %v", time.Since(start))
			waitFor(t, waitTimeout, "settle on h", func() bool { return d.Layer() == "h" })
			b0, p0 := d.PaddingBytes()
			watch := time.Now()
			for time.Since(watch) < 6*time.Second {
				if d.Layer() == "f" && time.Since(watch) > time.Second {
					t.Fatal("stepped up to f on a link that cannot carry it")
				}
				time.Sleep(50 * time.Millisecond)
			}
			b1, p1 := d.PaddingBytes()
			t.Logf("narrow link: %d probes, %d padding bytes in 6 s", p1-p0, b1-b0)
			if p1 == p0 {
				t.Fatal("no probe on the narrow link")
			}
			// Padding without let-up would be ~1 Mbit/s, 800 kB in 6 s; the
			// backoff and the early stop on a falling estimate keep it to a
			// the link's own capacity on average (300 kB in 6 s).
			if p1-p0 > 8 || b1-b0 > 300_000 {
				t.Fatalf("%d probes, %d padding bytes in 6 s: probing floods the link", p1-p0, b1-b0)
			}

			// Capacity returns: a probe finds it and the subscriber gets f.
			link.rate.Store(3_000_000)
			start = time.Now()
			waitFor(t, 3*waitTimeout, "f after capacity returned", func() bool { return d.Layer() == "f" })
			t.Logf("capacity back: f after %v", time.Since(start))

			// Asking for low and then high right after congestion: capped by
			// the estimate, the step up goes through a probe.
			link.rate.Store(400_000)
			waitFor(t, waitTimeout, "h again", func() bool { return d.Layer() == "h" })
			if err := bob.SetQuality(up.ID(), QualityLow); err != nil {
				t.Fatal(err)
			}
			waitFor(t, waitTimeout, "low", func() bool { return d.Layer() == "q" })
			_, p2 := d.PaddingBytes()
			link.rate.Store(3_000_000)
			start = time.Now()
			if err := bob.SetQuality(up.ID(), QualityHigh); err != nil {
				t.Fatal(err)
			}
			waitFor(t, waitTimeout, "high through probing", func() bool { return d.Layer() == "f" })
			_, p3 := d.PaddingBytes()
			t.Logf("low → high after congestion: f after %v, %d probes", time.Since(start), p3-p2)
			if p3 == p2 {
				t.Fatal("stepped up after congestion without probing")
			}

			// Collapse: down to q.
			link.rate.Store(150_000)
			start = time.Now()
			waitFor(t, waitTimeout, "q after a collapse", func() bool { return d.Layer() == "q" })
			t.Logf("capacity 3 → 0.15 Mbit/s: q after %v", time.Since(start))
		})
	}
}
