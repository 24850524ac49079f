package client_test

import (
	"context"
	"log"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// A member joins a call, publishes a camera from a VP8 file and an Opus
// microphone, and reads what the others publish.
func ExampleClient_StartMedia() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: "ws://127.0.0.1:8080/v1/signal", Token: "<JWT>"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Join(ctx, signaling.JoinRequest{CallID: "standup", Type: "video"}); err != nil {
		log.Fatal(err)
	}

	// The zero MediaConfig uses NewMediaAPI and the hello's ICE servers;
	// tests on one machine add LoopbackOnly.
	s, err := c.StartMedia(ctx, "standup", client.MediaConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	s.OnTrack(func(userID, trackID string, t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		log.Printf("receiving %s %s of %s", t.Kind(), trackID, userID)
		for {
			if _, _, err := t.ReadRTP(); err != nil {
				return // removed, or the session closed
			}
		}
	})

	camera, err := client.LoadIVF("camera.ivf")
	if err != nil {
		log.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "cam", "me")
	if err != nil {
		log.Fatal(err)
	}
	player := client.NewSamplePlayer(camera, track)
	defer player.Stop()
	if _, err := s.Publish(ctx, client.LocalTrack{Track: track, Source: client.SourceCamera,
		OnKeyframeRequest: player.OnKeyframeRequest}); err != nil {
		log.Fatal(err)
	}
	player.Start()

	// Ask for the low simulcast layer of someone's camera, found in the
	// CallState or a `tracks` event.
	_ = s.Subscribe(ctx, "<trackID>", client.QualityLow)
}
