package sfu

import (
	"bytes"
	"regexp"
	"testing"
	"time"
)

// TestForwardPayloadIntegrityAndMsid proves that bytes a publisher sends
// reach a subscriber unchanged, that the subscriber sees msid
// "<streamID> <trackID>" with the server-assigned track id, that the first
// packet forwarded is a keyframe and that sequence numbers are contiguous.
func TestForwardPayloadIntegrityAndMsid(t *testing.T) {
	testForwardPayloadIntegrity(t, newTestEnv(t))
}

// testForwardPayloadIntegrity is TestForwardPayloadIntegrityAndMsid's body
// in env; it returns the DownTrack, what the subscriber received and the
// publisher's track.
func testForwardPayloadIntegrity(t *testing.T, env *testEnv) (*DownTrack, *recvTrack, *pubTrack) {
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, pt, up := env.publishVideo(alice, 10*time.Millisecond)

	if ok, _ := regexp.MatchString(`^[A-Za-z0-9_.@-]{1,64}$`, up.ID()); !ok {
		t.Fatalf("track id %q does not match [A-Za-z0-9_.@-]{1,64}", up.ID())
	}
	if up.Kind() != "video" || up.Source() != SourceCamera || len(up.Layers()) != 0 {
		t.Fatalf("up track kind=%s source=%s layers=%v", up.Kind(), up.Source(), up.Layers())
	}

	sub := env.newSubscriber(bob, false)
	down, err := bob.Subscribe(up, "alice")
	if err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	if rt.remote.StreamID() != "alice" || rt.remote.ID() != up.ID() {
		t.Fatalf("msid = %q %q, want alice %q", rt.remote.StreamID(), rt.remote.ID(), up.ID())
	}
	waitFor(t, waitTimeout, "50 packets at the subscriber", func() bool { return rt.count() >= 50 })

	pkts := rt.packets()
	if _, _, key := parseVP8Payload(pkts[0].payload); !key {
		for _, p := range pkts[:5] {
			l, f, k := parseVP8Payload(p.payload)
			t.Logf("seq %d layer %d frame %d key %v ext %v", p.header.SequenceNumber, l, f, k, p.header.GetExtensionIDs())
		}
		t.Fatal("first forwarded packet is not a keyframe")
	}
	for i, p := range pkts {
		_, frame, _ := parseVP8Payload(p.payload)
		if want := pt.layers[0].sentPayload(frame); !bytes.Equal(p.payload, want) {
			t.Fatalf("packet %d (frame %d): payload %x, sent %x", i, frame, p.payload, want)
		}
		if i > 0 && p.header.SequenceNumber != pkts[i-1].header.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, p.header.SequenceNumber, pkts[i-1].header.SequenceNumber)
		}
		if len(p.header.Extensions) > 0 {
			for _, id := range p.header.GetExtensionIDs() {
				if id == pt.midID || id == pt.ridID {
					// ids coincide by chance only if the subscriber session
					// negotiated them; the publisher's mid/rid are never
					// forwarded, so their payloads must not appear.
					if bytes.Equal(p.header.GetExtension(id), []byte(pt.mid())) {
						t.Fatalf("publisher mid extension forwarded")
					}
				}
			}
		}
	}
	return down, rt, pt
}
