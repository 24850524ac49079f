package sfu

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Subscribing side of the test clients: answers server offers and records
// every received packet.

type recvPacket struct {
	header  rtp.Header
	payload []byte
	at      time.Time
}

type recvTrack struct {
	remote *webrtc.TrackRemote
	mu     sync.Mutex
	pkts   []recvPacket        // guarded by mu
	srs    []rtcp.SenderReport // guarded by mu: sender reports for the track's SSRC
}

func (r *recvTrack) senderReports() []rtcp.SenderReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rtcp.SenderReport(nil), r.srs...)
}

func (r *recvTrack) packets() []recvPacket {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recvPacket(nil), r.pkts...)
}

func (r *recvTrack) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pkts)
}

// subClient is a client receiving through a server Peer's subscriber PC.
type subClient struct {
	*client
	peer    *testPeer
	tracks  chan *recvTrack
	offers  atomic.Int32
	hold    chan struct{} // when non-nil, each answer waits for a token
	answerd atomic.Int32
}

func (e *testEnv) newSubscriber(p *testPeer, holdAnswers bool) *subClient {
	return e.newSubscriberOn(e.newClient(), p, holdAnswers)
}

// newSubscriberOn is newSubscriber on a given client PeerConnection.
func (e *testEnv) newSubscriberOn(c *client, p *testPeer, holdAnswers bool) *subClient {
	s := &subClient{client: c, peer: p, tracks: make(chan *recvTrack, 64)}
	if holdAnswers {
		s.hold = make(chan struct{}, 64)
	}
	s.pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		rt := &recvTrack{remote: tr}
		s.tracks <- rt
		s.goRun(func() {
			for {
				pkts, _, err := rcv.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == uint32(tr.SSRC()) {
						rt.mu.Lock()
						rt.srs = append(rt.srs, *sr)
						rt.mu.Unlock()
					}
				}
			}
		})
		s.goRun(func() {
			buf := make([]byte, 1500)
			for {
				n, _, err := tr.Read(buf)
				if err != nil {
					return
				}
				var pkt rtp.Packet
				if pkt.Unmarshal(buf[:n]) != nil {
					continue
				}
				rp := recvPacket{header: pkt.Header.Clone(), payload: append([]byte(nil), pkt.Payload...), at: time.Now()}
				rt.mu.Lock()
				rt.pkts = append(rt.pkts, rp)
				rt.mu.Unlock()
			}
		})
	})
	s.goRun(s.answerLoop)
	return s
}

// fail reports an error unless the client is shutting down. Shutting
// down includes the PeerConnection having closed itself: Pion closes it
// when the server's DTLS close_notify arrives, which races with a
// renegotiation offer the server sent just before its Peer closed.
func (s *subClient) fail(format string, args ...any) {
	select {
	case <-s.stop:
		return
	default:
	}
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, webrtc.ErrConnectionClosed) {
			return
		}
	}
	s.t.Errorf(format, args...)
}

func (s *subClient) answerLoop() {
	for {
		var offer string
		select {
		case <-s.stop:
			return
		case offer = <-s.peer.offers:
		}
		s.offers.Add(1)
		if s.hold != nil {
			select {
			case <-s.stop:
				return
			case <-s.hold:
			}
		}
		if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
			s.fail("subscriber set offer: %v", err)
			return
		}
		answer, err := s.pc.CreateAnswer(nil)
		if err != nil {
			s.fail("subscriber create answer: %v", err)
			return
		}
		done := webrtc.GatheringCompletePromise(s.pc)
		if err := s.pc.SetLocalDescription(answer); err != nil {
			s.fail("subscriber set answer: %v", err)
			return
		}
		select {
		case <-done:
		case <-s.stop:
			return
		}
		if err := s.peer.SetSubscriberAnswer(s.pc.LocalDescription().SDP); errors.Is(err, ErrClosed) {
			return
		} else if err != nil {
			s.fail("SetSubscriberAnswer: %v", err)
			return
		}
		s.answerd.Add(1)
	}
}

func (s *subClient) nextTrack(t testing.TB) *recvTrack {
	t.Helper()
	select {
	case rt := <-s.tracks:
		return rt
	case <-time.After(waitTimeout):
		t.Fatal("subscriber got no track")
		return nil
	}
}

// sendPLI sends a PLI for a received track.
func (s *subClient) sendPLI(rt *recvTrack) {
	_ = s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(rt.remote.SSRC())}})
}
