package signaling_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"

	"github.com/ringsfu/ringsfu/signaling/client"
)

// publishSimulcast publishes a three-layer VP8 camera track (rids q, h, f
// at 80x60, 160x120 and 320x240) from RTP and starts playing it. Each
// layer restarts at its key frame when the server asks for one.
func (m *member) publishSimulcast() map[string]*client.Player {
	players, _ := m.publishSimulcastPub(nil)
	return players
}

// publishSimulcastPub is publishSimulcast returning the publication too;
// onLayers, if set, receives the session's OnLayers reports.
func (m *member) publishSimulcastPub(onLayers func([]string)) (map[string]*client.Player, *client.Publication) {
	m.t.Helper()
	cl := loadClips(m.t)
	players := map[string]*client.Player{}
	var layers []webrtc.TrackLocal
	for _, l := range []struct {
		rid  string
		clip *client.Clip
	}{{"q", cl.q}, {"h", cl.h}, {"f", cl.f}} {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
			"cam", m.id, webrtc.WithRTPStreamID(l.rid))
		if err != nil {
			m.t.Fatal(err)
		}
		layers = append(layers, tr)
		p := client.NewRTPPlayer(l.clip, tr, nil)
		m.addPlayers(p)
		players[l.rid] = p
	}
	pubs, err := m.s.Publish(ctx(m.t), client.LocalTrack{Track: layers[0], Layers: layers[1:], Source: client.SourceCamera,
		OnKeyframeRequest: func(rid string) {
			if p := players[rid]; p != nil {
				p.RequestKeyframe()
			}
		},
		OnLayers: onLayers})
	if err != nil {
		m.t.Fatalf("%s: publish simulcast: %v", m.id, err)
	}
	for _, p := range players {
		p.Start()
	}
	return players, pubs[0]
}

// TestMediaUnwatchedLayersPaused: the server tells a simulcast publisher
// (publisherLayers, PROTOCOL.md §9.2) to send only the layers a subscriber
// watches plus the lowest; the Go client stops sending the others, and a
// layer a subscriber asks for later is resumed and reaches it, starting at
// one of its key frames.
func TestMediaUnwatchedLayersPaused(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	ms := joinCall(t, h, api, "pause", "alice", "bob")
	alice, bob := ms[0], ms[1]
	var mu sync.Mutex
	var reports [][]string
	_, pub := alice.publishSimulcastPub(func(active []string) {
		mu.Lock()
		reports = append(reports, active)
		mu.Unlock()
	})
	lastReport := func() []string {
		mu.Lock()
		defer mu.Unlock()
		if len(reports) == 0 {
			return nil
		}
		return reports[len(reports)-1]
	}
	tracks := waitTracks(t, alice.c, "alice", func(ts []signaling.Track) bool {
		return len(ts) == 1 && strings.Join(ts[0].Simulcast, ",") == "q,h,f"
	})
	id := tracks[0].TrackID
	r := bob.waitTrack(id, 1)

	// bob watches at high (the default): q and f are sent, h is not.
	poll(t, mediaWait, "the top layer", func() bool { return lastLayer(t, r) == "f" })
	poll(t, mediaWait, "active [q f]", func() bool { return slices.Equal(pub.ActiveLayers(), []string{"q", "f"}) })
	if got := lastReport(); !slices.Equal(got, []string{"q", "f"}) {
		t.Fatalf("OnLayers last reported %v, want [q f]", got)
	}
	assertLayerIdle(t, pub, "h")

	// bob goes low: f stops as well.
	mustOK(t, bob.s.Subscribe(ctx(t), id, client.QualityLow))
	poll(t, mediaWait, "layer q", func() bool { return lastLayer(t, r) == "q" })
	poll(t, mediaWait, "active [q]", func() bool { return slices.Equal(pub.ActiveLayers(), []string{"q"}) })
	assertLayerIdle(t, pub, "f")

	// bob asks for high again: f resumes and reaches him from a key frame.
	before := r.count()
	from := time.Now()
	mustOK(t, bob.s.Subscribe(ctx(t), id, client.QualityHigh))
	poll(t, mediaWait, "layer f again", func() bool { return lastLayer(t, r) == "f" })
	frames := vp8Frames(r.packets()[before:])
	for _, f := range frames {
		if layerOf(t, f) == "f" {
			if !f.keyframe {
				t.Fatal("the resumed layer did not start at a key frame")
			}
			t.Logf("resumed f reached the subscriber after %v", r.packets()[before+f.first].at.Sub(from))
			break
		}
	}
	if !slices.Equal(pub.ActiveLayers(), []string{"q", "f"}) {
		t.Fatalf("active %v, want [q f]", pub.ActiveLayers())
	}
	assertLayerIdle(t, pub, "h")
}

// assertLayerIdle checks that the publisher hands no packet of layer rid
// to its PeerConnection over a while, while the layer's player goes on.
func assertLayerIdle(t *testing.T, pub *client.Publication, rid string) {
	t.Helper()
	sent, dropped := pub.LayerPackets(rid)
	poll(t, mediaWait, "packets of "+rid+" dropped", func() bool {
		_, d := pub.LayerPackets(rid)
		return d > dropped+20
	})
	if s, _ := pub.LayerPackets(rid); s != sent {
		t.Fatalf("layer %s: %d packets sent while paused", rid, s-sent)
	}
}
