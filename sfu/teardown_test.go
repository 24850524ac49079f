package sfu

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

func TestNegotiationOnAClosedPCLogsAtDebug(t *testing.T) {
	api := webrtc.NewAPI()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = pc.CreateOffer(nil)
	if err == nil {
		t.Fatal("CreateOffer on a closed PC succeeded")
	}
	if got := negotiationErrLevel(err); got != zerolog.DebugLevel {
		t.Fatalf("closed PC (%v) logs at %v, want debug", err, got)
	}
	if got := negotiationErrLevel(fmt.Errorf("x: %w", errors.New("boom"))); got != zerolog.ErrorLevel {
		t.Fatalf("other failure logs at %v, want error", got)
	}
}
