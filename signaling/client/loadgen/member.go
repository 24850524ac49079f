package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// member is one simulated participant: a signed-in client, its media
// session, its synthetic sources and what it received.
type member struct {
	id      string
	c       *client.Client
	s       *client.Session
	sources []*source
	joinAt  time.Time // when its call's invite that rang it was sent
	// ready is set once the member no longer waits for any event, so its
	// event queue may be emptied (the load generator reads none of it).
	ready atomic.Bool

	counters *rtpCounters // what its sockets counted, by SSRC (tap.go)

	mu         sync.Mutex
	tracks     map[string]*trackStats // by publisher/track id
	firstMedia time.Time
	wg         sync.WaitGroup // track readers
}

// dial signs a member in.
func dial(ctx context.Context, cfg *Config, id string) (*member, error) {
	tok, err := signaling.Mint(signaling.MintOptions{AppID: cfg.AppID, Secret: cfg.Secret, UserID: id, Name: id, TTL: 24 * time.Hour})
	if err != nil {
		return nil, fmt.Errorf("loadgen: token: %w", err)
	}
	c, err := client.Dial(ctx, client.Config{URL: cfg.URL, Token: tok, DeviceID: "load"})
	if err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", id, err)
	}
	return &member{id: id, c: c, counters: newRTPCounters(), tracks: make(map[string]*trackStats)}, nil
}

// startMedia opens the member's PeerConnections in call, on its own API
// whose sockets count what arrives (tap.go), and starts reading every track
// it receives.
func (m *member) startMedia(ctx context.Context, call string) error {
	api, err := newMemberAPI(m.counters)
	if err != nil {
		return err
	}
	s, err := m.c.StartMedia(ctx, call, client.MediaConfig{API: api, LoopbackOnly: true})
	if err != nil {
		return fmt.Errorf("loadgen: %s: start media: %w", m.id, err)
	}
	m.s = s
	s.OnRemoteTrack(m.read)
	return nil
}

// read consumes one received track until it ends. Packets, bytes and loss
// are counted from the clear RTP header by the member's sockets (tap.go);
// what Pion hands over here is the decrypted sample, checked for the
// synthetic payload and timed.
func (m *member) read(rt client.RemoteTrack) {
	st := &trackStats{kind: rt.Track.Kind().String(), counter: m.counters.get(uint32(rt.Track.SSRC()))}
	m.mu.Lock()
	m.tracks[rt.UserID+"/"+rt.TrackID] = st
	m.mu.Unlock()
	for {
		pkt, _, err := rt.Track.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		m.mu.Lock()
		if m.firstMedia.IsZero() {
			m.firstMedia = now
		}
		m.mu.Unlock()
		sent, ok := sendTime(pkt.Payload)
		st.sample(now.Sub(time.Unix(0, sent)), ok)
	}
}

// publish starts the member's synthetic camera and microphone.
func (m *member) publish(ctx context.Context, cfg *Config) error {
	var lts []client.LocalTrack
	if cfg.Video != VideoNone {
		shapes := cameraLayers
		if cfg.Video == VideoSingle {
			shapes = cameraLayers[2:]
		}
		var tracks []webrtc.TrackLocal
		byRID := map[string]*source{}
		for _, sh := range shapes {
			var opts []func(*webrtc.TrackLocalStaticRTP)
			if cfg.Video == VideoSimulcast {
				opts = append(opts, webrtc.WithRTPStreamID(sh.rid))
			}
			tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
				"camera", m.id, opts...)
			if err != nil {
				return fmt.Errorf("loadgen: video track: %w", err)
			}
			src := newSource(tr, sh, false)
			m.sources = append(m.sources, src)
			byRID[sh.rid] = src
			if cfg.Video == VideoSingle {
				byRID[""] = src
			}
			tracks = append(tracks, tr)
		}
		lts = append(lts, client.LocalTrack{Track: tracks[0], Layers: tracks[1:], Source: client.SourceCamera,
			OnKeyframeRequest: func(rid string) {
				if s := byRID[rid]; s != nil {
					s.requestKeyframe()
				}
			},
			OnLayers: func(active []string) {
				for rid, s := range byRID {
					if rid != "" {
						s.setPaused(!slices.Contains(active, rid))
					}
				}
			}})
	}
	if cfg.Audio {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
			"microphone", m.id)
		if err != nil {
			return fmt.Errorf("loadgen: audio track: %w", err)
		}
		m.sources = append(m.sources, newSource(tr, layerShape{}, true))
		lts = append(lts, client.LocalTrack{Track: tr, Source: client.SourceMicrophone})
	}
	if len(lts) == 0 {
		return nil
	}
	if _, err := m.s.Publish(ctx, lts...); err != nil {
		return fmt.Errorf("loadgen: %s: publish: %w", m.id, err)
	}
	for _, src := range m.sources {
		src.started.Store(true)
		go src.run()
	}
	return nil
}

// close stops everything the member runs.
func (m *member) close() {
	for _, src := range m.sources {
		src.close()
	}
	if m.s != nil {
		_ = m.s.Close()
	}
	_ = m.c.Close()
}

// receivedTracks returns the member's track stats.
func (m *member) receivedTracks() []*trackStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*trackStats, 0, len(m.tracks))
	for _, t := range m.tracks {
		out = append(out, t)
	}
	return out
}
