package signaling_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"
)

// Issue 14 item 7: a garbage subscriber `answer` gets bad_request and does
// not wedge the member's subscriber PC: the server rolls its offer back and
// offers afresh, and a proper answer to that offer brings the media.

// answerFor answers a server offer with a fresh Pion PC and returns the
// answer's SDP (its media then flows on pc).
func answerFor(t *testing.T, pc *webrtc.PeerConnection, offer string) string {
	t.Helper()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		t.Fatal(err)
	}
	<-done
	return pc.LocalDescription().SDP
}

func TestGarbageSubscriberAnswerRecovers(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	alice := joinCall(t, h, api, "garbage", "alice")[0]
	bob := h.dial("bob")
	if _, err := bob.Join(ctx(t), signaling.JoinRequest{CallID: "garbage"}); err != nil {
		t.Fatal(err)
	}
	v, _ := publishedAV(t, alice)

	// A probe PC makes a well-formed answer whose m-lines do not match.
	probe, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = probe.Close() })
	if _, err := probe.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	po, err := probe.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"garbage", "v=0\r\n", strings.Replace(po.SDP, "a=setup:actpass", "a=setup:active", 1)} {
		offer := waitMatch(t, bob, signaling.TypeOffer, func(o *signaling.SubscriberOffer) bool { return o.CallID == "garbage" })
		err := bob.Request(ctx(t), signaling.TypeAnswer, signaling.AnswerRequest{CallID: "garbage", Target: "subscriber", SDP: bad}, nil)
		t.Logf("answer %.20q to an offer of %d bytes: %v", bad, len(offer.SDP), err)
		wantCode(t, err, "bad_request")
	}
	// The next offer starts clean: answer it for real; alice's media arrives.
	offer := waitMatch(t, bob, signaling.TypeOffer, func(o *signaling.SubscriberOffer) bool { return o.CallID == "garbage" })
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	got := make(chan string, 4)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if _, _, err := tr.ReadRTP(); err == nil {
			got <- tr.ID()
		}
	})
	mustOK(t, bob.Request(ctx(t), signaling.TypeAnswer, signaling.AnswerRequest{CallID: "garbage", Target: "subscriber", SDP: answerFor(t, pc, offer.SDP)}, nil))
	// Renegotiations (alice's second track) are answered as they come.
	seen := map[string]bool{}
	deadline := time.Now().Add(mediaWait)
	for !seen[v] {
		if time.Now().After(deadline) {
			t.Fatalf("bob received %v, not alice's video %s", seen, v)
		}
		select {
		case id := <-got:
			seen[id] = true
			continue
		default:
		}
		for _, e := range bob.Pending() {
			if o, ok := e.Data.(*signaling.SubscriberOffer); ok {
				next := waitMatch(t, bob, signaling.TypeOffer, func(x *signaling.SubscriberOffer) bool { return x.SDP == o.SDP })
				mustOK(t, bob.Request(ctx(t), signaling.TypeAnswer, signaling.AnswerRequest{CallID: "garbage", Target: "subscriber",
					SDP: answerFor(t, pc, next.SDP)}, nil))
			}
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	if st := pc.ConnectionState(); st != webrtc.PeerConnectionStateConnected {
		t.Fatalf("bob's pc is %s", st)
	}
}
