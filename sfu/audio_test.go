package sfu

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/ringsfu/ringsfu/media"
)

// TestAudioForwarding proves for an Opus track that payloads arrive
// unchanged, that the publisher's audio level (RFC 6464) is forwarded under
// the subscriber session's extension id, and that mute stops the audio
// within a second and unmute resumes it with the next sequence number and
// the marker bit of a new talkspurt (RFC 3551 §4.1).
func TestAudioForwarding(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	c := env.newClient()
	pt := c.addAudio()
	c.publish(alice, func() []TrackSpec { return []TrackSpec{{Mid: pt.mid(), Source: SourceMicrophone}} })
	var levelID uint8
	for _, e := range pt.sender.GetParameters().HeaderExtensions {
		if e.URI == media.ExtAudioLevel {
			levelID = uint8(e.ID)
		}
	}
	if levelID == 0 {
		t.Fatal("audio level extension not negotiated with the publisher")
	}
	l := pt.layers[0]
	c.goRun(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
			}
			l.frame++
			l.seq++
			l.ts += 960
			payload := make([]byte, 30)
			binary.BigEndian.PutUint32(payload, l.frame)
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: l.seq, Timestamp: l.ts}, Payload: payload}
			_ = pkt.Header.SetExtension(levelID, []byte{0x80 | byte(l.frame%127)}) // V=1, level
			_ = l.track.WriteRTP(pkt)
		}
	})
	up := alice.nextUpTrack(t)
	if up.Kind() != "audio" || up.Source() != SourceMicrophone {
		t.Fatalf("kind %s source %s", up.Kind(), up.Source())
	}

	sub := env.newSubscriber(bob, false)
	if _, err := bob.Subscribe(up, "alice"); err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	waitFor(t, waitTimeout, "audio at the subscriber", func() bool { return rt.count() > 10 })

	var subLevelID uint8
	for _, tr := range sub.pc.GetTransceivers() {
		if r := tr.Receiver(); r != nil && r.Track() == rt.remote {
			for _, e := range r.GetParameters().HeaderExtensions {
				if e.URI == media.ExtAudioLevel {
					subLevelID = uint8(e.ID)
				}
			}
		}
	}
	if subLevelID == 0 {
		t.Fatal("audio level not negotiated with the subscriber")
	}
	for _, p := range rt.packets() {
		frame := binary.BigEndian.Uint32(p.payload)
		want := make([]byte, 30)
		binary.BigEndian.PutUint32(want, frame)
		if !bytes.Equal(p.payload, want) {
			t.Fatalf("payload %x, want %x", p.payload, want)
		}
		if lv := p.header.GetExtension(subLevelID); !bytes.Equal(lv, []byte{0x80 | byte(frame%127)}) {
			t.Fatalf("frame %d: audio level %x", frame, lv)
		}
	}

	up.SetMuted(true)
	waitStopped(t, rt, time.Now(), time.Second)
	n := rt.count()
	last := rt.packets()[n-1]
	up.SetMuted(false)
	waitFor(t, 2*time.Second, "audio after unmute", func() bool { return rt.count() > n+3 })
	resumed := rt.packets()[n]
	if resumed.header.SequenceNumber != last.header.SequenceNumber+1 || !resumed.header.Marker {
		t.Fatalf("resumed seq %d after %d, marker %v", resumed.header.SequenceNumber, last.header.SequenceNumber, resumed.header.Marker)
	}
	// Timestamps follow the wall clock across the pause (≥ 200 ms at 48 kHz).
	if d := resumed.header.Timestamp - last.header.Timestamp; d < 48000/5 {
		t.Fatalf("timestamp advanced by %d over the pause", d)
	}
}
