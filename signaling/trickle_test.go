package signaling_test

import (
	"testing"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// TestUnparsableTrickleCandidatesAreBadRequest sends trickled candidates
// that no ICE agent can parse to a member whose publisher connection is up:
// each gets bad_request (it was internal, from the PeerConnection) and a
// valid candidate is still taken. The member's media keeps working.
func TestUnparsableTrickleCandidatesAreBadRequest(t *testing.T) {
	h := newMediaHarness(t)
	api := clientAPI(t)
	aliceC, bobC := h.dial("alice"), h.dial("bob")
	res := invite(t, aliceC, "video", "bob")
	waitEvent[signaling.IncomingCall](t, bobC, signaling.TypeIncomingCall)
	_, err := bobC.Accept(ctx(t), res.CallID, "")
	mustOK(t, err)
	alice := startMedia(t, api, "alice", aliceC, res.CallID)
	aliceV, _ := publishedAV(t, alice)
	bob := startMedia(t, api, "bob", bobC, res.CallID)
	bob.waitTrack(aliceV, 1)

	trickle := func(cand string) error {
		return aliceC.Request(ctx(t), signaling.TypeTrickle, signaling.TrickleRequest{CallID: res.CallID, Target: "publisher",
			Candidate: &signaling.Candidate{Candidate: cand}}, nil)
	}
	for _, bad := range []string{"foo bar", "localhost", "candidate:1 1 udp 2130706431 127.0.0.1 70000 typ host",
		"candidate:1 1 udp 2130706431 localhost 5000 typ host"} {
		if err := trickle(bad); err == nil || client.Code(err) != "bad_request" {
			t.Errorf("trickle %q: %v, want bad_request", bad, err)
		}
	}
	mustOK(t, trickle("candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"))
	n := bob.track(aliceV).count()
	poll(t, mediaWait, "alice's video after the bad candidates", func() bool { return bob.track(aliceV).count() > n+10 })
}
