package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// selfTestTimeout bounds the self-test.
const selfTestTimeout = 10 * time.Second

var errSelfTest = errors.New("media: fast path self-test failed")

// selfTest proves the fast path end to end on this Pion build: a
// PeerConnection of the engine's API (the shared socket, the server's DTLS
// role) connects to a plain Pion receiver on the socket's address; one
// packet is encrypted with keys from NewSRTPOut and sent through a
// DatagramBatch to the selected pair's remote address, a second one
// through SRTPOut.WriteRaw; the receiver must decrypt both to the original
// payloads. Pion itself never writes the test SSRC.
func selfTest(f *FastPath) error {
	ctx, cancel := context.WithTimeout(context.Background(), selfTestTimeout)
	defer cancel()
	go func() {
		select {
		case <-f.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	me := &webrtc.MediaEngine{}
	if err := RegisterCodecs(me); err != nil {
		return err
	}
	se := webrtc.SettingEngine{LoggerFactory: NewLoggerFactory(f.log)}
	if err := ConfigureNetwork(&se, f.local.Addr().String()); err != nil {
		return fmt.Errorf("%w: %w", errSelfTest, err)
	}
	rxAPI := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
	tx, err := f.selfAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("%w: %w", errSelfTest, err)
	}
	defer tx.Close()
	rx, err := rxAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("%w: %w", errSelfTest, err)
	}
	defer rx.Close()

	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		"selftest", "selftest")
	if err != nil {
		return fmt.Errorf("%w: %w", errSelfTest, err)
	}
	sender, err := tx.AddTrack(track)
	if err != nil {
		return fmt.Errorf("%w: %w", errSelfTest, err)
	}
	got := make(chan []byte, 4)
	rx.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			select {
			case got <- p.Payload:
			default:
			}
		}
	})
	connected := make(chan struct{})
	tx.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			select {
			case <-connected:
			default:
				close(connected)
			}
		}
	})
	if err := exchange(ctx, tx, rx); err != nil {
		return fmt.Errorf("%w: %w", errSelfTest, err)
	}
	select {
	case <-connected:
	case <-ctx.Done():
		return fmt.Errorf("%w: not connected: %w", errSelfTest, ctx.Err())
	}
	out, err := NewSRTPOut(tx)
	if err != nil {
		return err
	}
	sctx, err := out.NewContext()
	if err != nil {
		return err
	}
	pair, err := tx.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil {
		return fmt.Errorf("%w: %w", errSelfTest, err)
	}
	remote, ok := f.Usable(pair)
	if !ok {
		return fmt.Errorf("%w: selected pair %v not on the shared socket", errSelfTest, pair)
	}
	params := sender.GetParameters()
	if len(params.Encodings) == 0 || len(params.Codecs) == 0 {
		return fmt.Errorf("%w: sender not negotiated", errSelfTest)
	}
	h := rtp.Header{Version: 2, PayloadType: uint8(params.Codecs[0].PayloadType), SSRC: uint32(params.Encodings[0].SSRC),
		Timestamp: 90000}
	batch := NewDatagramBatch(f.conn)
	for i, via := range []string{"direct", "raw"} {
		payload := []byte("ringsfu fast path self-test " + via)
		h.SequenceNumber = uint16(1000 + i)
		h.Marker = true
		buf := batch.Slot()
		hl, err := h.MarshalTo(buf)
		if err != nil {
			return fmt.Errorf("%w: %w", errSelfTest, err)
		}
		n := copy(buf[hl:], payload)
		enc, err := sctx.EncryptRTP(buf[:0], buf[:hl+n], &rtp.Header{})
		if err != nil {
			return fmt.Errorf("%w: %w", errSelfTest, err)
		}
		if via == "direct" {
			batch.Commit(len(enc), remote)
			if batch.Flush() != 1 {
				return fmt.Errorf("%w: sendmmsg sent nothing", errSelfTest)
			}
		} else if _, err := out.WriteRaw(enc); err != nil {
			return fmt.Errorf("%w: %w", errSelfTest, err)
		}
		if err := expectPayload(ctx, got, payload); err != nil {
			return fmt.Errorf("%w: %s: %w", errSelfTest, via, err)
		}
	}
	return nil
}

// expectPayload waits for want on got, skipping anything else.
func expectPayload(ctx context.Context, got <-chan []byte, want []byte) error {
	for {
		select {
		case p := <-got:
			if bytes.Equal(p, want) {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("payload not received: %w", ctx.Err())
		}
	}
}

// exchange negotiates tx (offerer) with rx, complete SDPs without trickle.
func exchange(ctx context.Context, tx, rx *webrtc.PeerConnection) error {
	offer, err := tx.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(tx)
	if err := tx.SetLocalDescription(offer); err != nil {
		return err
	}
	if err := waitCtx(ctx, gathered); err != nil {
		return err
	}
	if err := rx.SetRemoteDescription(*tx.LocalDescription()); err != nil {
		return err
	}
	answer, err := rx.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered = webrtc.GatheringCompletePromise(rx)
	if err := rx.SetLocalDescription(answer); err != nil {
		return err
	}
	if err := waitCtx(ctx, gathered); err != nil {
		return err
	}
	return tx.SetRemoteDescription(*rx.LocalDescription())
}

func waitCtx(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
