package client

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/sfu"
	"github.com/ringsfu/ringsfu/signaling"
)

// fakeSFU is a minimal §6 server for the client's unit tests: one call
// whose members are the connections (the hello token is the user id),
// each backed by a real sfu.Peer on 127.0.0.1, every member subscribed to
// every other member's tracks. It knows nothing of invitations and checks
// nothing; the whole server is tested in package signaling.
type fakeSFU struct {
	t      *testing.T
	engine *media.Engine
	hs     *httptest.Server
	url    string
	wg     sync.WaitGroup

	mu    sync.Mutex
	peers map[string]*fakePeer // guarded by mu
	ups   []fakeUp             // guarded by mu
}

type fakeUp struct {
	user string
	up   *sfu.UpTrack
}

type fakePeer struct {
	user string
	peer *sfu.Peer
	ws   *websocket.Conn
	wmu  sync.Mutex
}

func (p *fakePeer) send(v any) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.ws.WriteJSON(v)
}

func newFakeSFU(t *testing.T) *fakeSFU {
	t.Helper()
	engine, err := media.New(media.Config{RTCIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSFU{t: t, engine: engine, peers: map[string]*fakePeer{}}
	f.hs = httptest.NewServer(http.HandlerFunc(f.serve))
	f.url = "ws" + strings.TrimPrefix(f.hs.URL, "http")
	t.Cleanup(func() {
		f.hs.CloseClientConnections()
		f.hs.Close()
		f.wg.Wait()
		f.mu.Lock()
		peers := f.peers
		f.peers = nil
		f.mu.Unlock()
		for _, p := range peers {
			_ = p.peer.Close()
		}
		_ = engine.Close()
	})
	return f
}

func (f *fakeSFU) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	var p *fakePeer
	defer func() {
		if p != nil {
			f.mu.Lock()
			delete(f.peers, p.user)
			f.mu.Unlock()
			_ = p.peer.Close()
		}
	}()
	for {
		var env signaling.Envelope
		if err := ws.ReadJSON(&env); err != nil {
			return
		}
		if p == nil {
			var hello signaling.HelloRequest
			_ = json.Unmarshal(env.Data, &hello)
			p = f.join(hello.Token, ws)
			p.send(map[string]any{"id": env.ID, "type": "result", "data": signaling.HelloResult{
				SessionID: "s_" + hello.Token, User: signaling.User{ID: hello.Token},
				ICEServers: []signaling.ICEServer{}, PendingInvitations: []signaling.IncomingCall{}}})
			f.subscribeExisting(p)
			continue
		}
		res, err := f.handle(p, env)
		if err != nil {
			p.send(map[string]any{"id": env.ID, "type": "error", "error": signaling.ErrorBody{Code: "bad_request", Message: err.Error()}})
			continue
		}
		p.send(map[string]any{"id": env.ID, "type": "result", "data": res})
	}
}

func (f *fakeSFU) join(user string, ws *websocket.Conn) *fakePeer {
	p := &fakePeer{user: user, ws: ws}
	peer, err := sfu.NewPeer(sfu.PeerConfig{
		API:    f.engine.API(),
		Logger: zerolog.Nop(),
		OnSubscriberOffer: func(sdp string) {
			go p.send(map[string]any{"type": "offer", "data": signaling.SubscriberOffer{CallID: "c1", Target: "subscriber", SDP: sdp}})
		},
		OnUpTrack: func(u *sfu.UpTrack) {
			f.mu.Lock()
			f.ups = append(f.ups, fakeUp{user: user, up: u})
			var others []*fakePeer
			for _, o := range f.peers {
				if o != p {
					others = append(others, o)
				}
			}
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				for _, o := range others {
					_, _ = o.peer.Subscribe(u, user)
				}
			}()
		},
	})
	if err != nil {
		f.t.Error(err)
	}
	p.peer = peer
	f.mu.Lock()
	f.peers[user] = p
	f.mu.Unlock()
	return p
}

func (f *fakeSFU) subscribeExisting(p *fakePeer) {
	f.mu.Lock()
	ups := append([]fakeUp(nil), f.ups...)
	f.mu.Unlock()
	for _, u := range ups {
		if u.user != p.user {
			_, _ = p.peer.Subscribe(u.up, u.user)
		}
	}
}

// upTrackID returns the id of a user's published track of a kind.
func (f *fakeSFU) upTrackID(user, kind string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.ups {
		if u.user == user && u.up.Kind() == kind {
			return u.up.ID()
		}
	}
	return ""
}

func (f *fakeSFU) handle(p *fakePeer, env signaling.Envelope) (any, error) {
	switch env.Type {
	case signaling.TypeOffer:
		var r signaling.OfferRequest
		_ = json.Unmarshal(env.Data, &r)
		var specs []sfu.TrackSpec
		for _, t := range r.Tracks {
			specs = append(specs, sfu.TrackSpec{Mid: t.Mid, Source: t.Source})
		}
		sdp, err := p.peer.Publish(r.SDP, specs)
		return signaling.SDPResult{SDP: sdp}, err
	case signaling.TypeAnswer:
		var r signaling.AnswerRequest
		_ = json.Unmarshal(env.Data, &r)
		return struct{}{}, p.peer.SetSubscriberAnswer(r.SDP)
	case signaling.TypeTrickle:
		var r signaling.TrickleRequest
		_ = json.Unmarshal(env.Data, &r)
		if r.Candidate == nil {
			return struct{}{}, nil
		}
		return struct{}{}, p.peer.AddICECandidate(sfu.Target(r.Target), &webrtc.ICECandidateInit{
			Candidate: r.Candidate.Candidate, SDPMid: r.Candidate.SDPMid, SDPMLineIndex: r.Candidate.SDPMLineIndex})
	case signaling.TypeSubscribe:
		var r signaling.SubscribeRequest
		_ = json.Unmarshal(env.Data, &r)
		return struct{}{}, p.peer.SetQuality(r.TrackID, sfu.Quality(r.Quality))
	default:
		return struct{}{}, nil
	}
}
