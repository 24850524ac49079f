package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/signaling/client"
)

// options are the command-line flags.
type options struct {
	url       string
	token     string
	appID     string
	appSecret string
	user      string
	name      string
	device    string
	call      string
	video     string
	audio     string
	rtp       bool
	duration  time.Duration
	loopback  bool
	logLevel  string
}

func parseFlags() (options, error) {
	var o options
	flag.StringVar(&o.url, "url", "ws://127.0.0.1:8080/v1/signal", "signaling WebSocket URL")
	flag.StringVar(&o.token, "token", "", "JWT to sign in with (else one is minted from --app-id, --app-secret, --user, --name)")
	flag.StringVar(&o.appID, "app-id", "", "app id to mint a token for")
	flag.StringVar(&o.appSecret, "app-secret", "", "app secret to mint a token with")
	flag.StringVar(&o.user, "user", "", "user id to mint a token for")
	flag.StringVar(&o.name, "name", "", "display name to mint a token for (default: the user id)")
	flag.StringVar(&o.device, "device", "member", "device id sent in hello")
	flag.StringVar(&o.call, "call", "", "call id to join (created, type video, if it does not exist)")
	flag.StringVar(&o.video, "video", "", "VP8 IVF file to publish as the camera, in a loop (none: no camera)")
	flag.StringVar(&o.audio, "audio", "", "Opus Ogg file to publish as the microphone, in a loop (none: no microphone)")
	flag.BoolVar(&o.rtp, "rtp", false, "packetize the clips here (RTP tracks) instead of letting Pion do it (sample tracks)")
	flag.DurationVar(&o.duration, "duration", 0, "leave after this long (0: until SIGINT/SIGTERM or the end of the call)")
	flag.BoolVar(&o.loopback, "loopback-only", false, "keep every ICE candidate on 127.0.0.1 (tests on one machine)")
	flag.StringVar(&o.logLevel, "log-level", "info", "stderr log level: debug (with Pion's logs), info, warn, error")
	flag.Parse()
	if flag.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if o.call == "" {
		return o, errors.New("--call is required")
	}
	if o.token == "" && (o.appID == "" || o.appSecret == "" || o.user == "") {
		return o, errors.New("give --token, or --app-id, --app-secret and --user to mint one")
	}
	if o.name == "" {
		o.name = o.user
	}
	return o, nil
}

func main() {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "member:", err)
		flag.Usage()
		os.Exit(2)
	}
	level, err := zerolog.ParseLevel(o.logLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "member: --log-level:", err)
		os.Exit(2)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000", NoColor: !isatty.IsTerminal(os.Stderr.Fd())}).
		Level(level).With().Timestamp().Logger()
	if err := run(o, log); err != nil {
		log.Error().Err(err).Msg("member failed")
		os.Exit(1)
	}
}

// run is the member's whole life; it returns nil for a normal end.
func run(o options, log zerolog.Logger) (err error) {
	// SIGINT or SIGTERM ends the member cleanly; a second one kills it
	// (stop restores the default handling once the first has arrived).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)

	// Whatever happens, the last line on stdout is the final report. It is
	// printed after the deferred closes below: the counts are final.
	rec := newRecorder(o.user, o.call)
	var reason string // why the member ended; "" while setting up
	defer func() {
		if err != nil && reason == "" && ctx.Err() != nil {
			log.Info().Err(err).Msg("interrupted while setting up")
			reason, err = "signal", nil
		} else if err != nil && reason == "" {
			reason = "error"
		}
		rec.print(true, reason)
	}()

	// The clips are loaded first: a bad file is reported before anyone
	// sees the member join.
	var videoClip, audioClip *client.Clip
	if o.video != "" {
		if videoClip, err = client.LoadIVF(o.video); err != nil {
			return err
		}
	}
	if o.audio != "" {
		if audioClip, err = client.LoadOgg(o.audio); err != nil {
			return err
		}
	}

	// 1. Sign in.
	token := o.token
	if token == "" {
		if token, err = signaling.Mint(signaling.MintOptions{AppID: o.appID, Secret: o.appSecret, UserID: o.user, Name: o.name}); err != nil {
			return err
		}
	}
	setupCtx, cancelSetup := context.WithTimeout(ctx, 30*time.Second)
	defer cancelSetup()
	c, err := client.Dial(setupCtx, client.Config{URL: o.url, Token: token, DeviceID: o.device})
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	defer c.Close()
	me := c.Hello().User
	rec.setUser(me.ID)
	log = log.With().Str("user", me.ID).Logger()
	log.Info().Str("session", c.SessionID()).Msg("signed in")

	// 2. Join the call by id (creating it if needed).
	state, err := c.Join(setupCtx, signaling.JoinRequest{CallID: o.call, Type: "video"})
	if err != nil {
		return fmt.Errorf("join %s: %w", o.call, err)
	}
	log.Info().Str("call", state.CallID).Int("members", len(state.Members)).Msg("joined")

	// 3. Start media. Zero MediaConfig fields take the client's defaults:
	// the hello's ICE servers and complete SDPs (no trickle). The session's
	// and Pion's logs are shown at --log-level debug.
	mediaLog := zerolog.Nop()
	if log.GetLevel() <= zerolog.DebugLevel {
		mediaLog = log
	}
	sess, err := c.StartMedia(setupCtx, o.call, client.MediaConfig{
		LoopbackOnly: o.loopback,
		Logger:       mediaLog,
		OnConnectionState: func(target string, st webrtc.PeerConnectionState) {
			log.Info().Str("pc", target).Str("state", st.String()).Msg("connection state")
		},
	})
	if err != nil {
		return fmt.Errorf("start media: %w", err)
	}
	defer sess.Close()

	// 4. Receive: the recorder reads every track until it ends. Set the
	// handler before publishing, so no early track waits.
	sess.OnRemoteTrack(func(rt client.RemoteTrack) {
		log.Info().Str("from", rt.UserID).Str("track", rt.TrackID).Str("kind", rt.Track.Kind().String()).
			Str("codec", rt.Track.Codec().MimeType).Msg("receiving")
		rec.read(rt) // returns when the track ends or the session closes
	})

	// 5. Publish.
	players, err := publish(setupCtx, sess, me.ID, videoClip, audioClip, o.rtp, rec)
	defer func() {
		for _, p := range players {
			p.Stop()
		}
	}()
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	cancelSetup()

	// Events the app cares about; offers and trickles never show up here
	// (the media session takes them).
	ended := make(chan string, 1)
	go watchEvents(ctx, c, o.call, log, ended)

	// 6. Report once a second until something ends the member.
	var deadline <-chan time.Time
	if o.duration > 0 {
		t := time.NewTimer(o.duration)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var failure error
	for reason == "" {
		select {
		case <-tick.C:
			rec.print(false, "")
		case <-ctx.Done():
			reason = "signal"
		case <-deadline:
			reason = "duration"
		case why := <-ended:
			reason = why
		case <-c.Done():
			reason = "connection lost"
			failure = fmt.Errorf("connection lost (close code %d)", c.CloseCode())
		}
	}
	log.Info().Str("reason", reason).Msg("leaving")

	// 7. Hang up: stop sending, leave (unless the server already ended
	// our membership) and close the PeerConnections, which waits for the
	// track readers: the final report (deferred above, printed once the
	// connection is closed too) has the final counts.
	for _, p := range players {
		p.Stop()
	}
	if failure == nil && reason != "callEnded" && reason != "removed" {
		leaveCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.Leave(leaveCtx, o.call); err != nil {
			log.Warn().Err(err).Msg("leave")
		}
		cancel()
	}
	if err := sess.Close(); err != nil {
		log.Debug().Err(err).Msg("close media")
	}
	return failure
}

// publish publishes the camera and the microphone in one negotiation and
// starts their players. Each player loops its clip in real time; a
// keyframe request from the server (a subscriber's PLI, or a new
// subscriber) restarts the camera at the clip's first frame, a key frame,
// as a live encoder would send one.
func publish(ctx context.Context, sess *client.Session, streamID string, video, audio *client.Clip, useRTP bool, rec *recorder) ([]*client.Player, error) {
	var tracks []client.LocalTrack
	var players []*client.Player
	add := func(clip *client.Clip, source, trackID string, capability webrtc.RTPCodecCapability) error {
		var track webrtc.TrackLocal
		var player *client.Player
		if useRTP {
			t, err := webrtc.NewTrackLocalStaticRTP(capability, trackID, streamID)
			if err != nil {
				return err
			}
			track, player = t, client.NewRTPPlayer(clip, t, nil)
		} else {
			t, err := webrtc.NewTrackLocalStaticSample(capability, trackID, streamID)
			if err != nil {
				return err
			}
			track, player = t, client.NewSamplePlayer(clip, t)
		}
		sent := rec.sending(source, player)
		tracks = append(tracks, client.LocalTrack{Track: track, Source: source, OnKeyframeRequest: func(rid string) {
			sent.keyframeRequests.Add(1)
			player.RequestKeyframe()
		}})
		players = append(players, player)
		return nil
	}
	if video != nil {
		if err := add(video, client.SourceCamera, "camera", webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}); err != nil {
			return nil, err
		}
	}
	if audio != nil {
		if err := add(audio, client.SourceMicrophone, "microphone", webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}); err != nil {
			return nil, err
		}
	}
	if len(tracks) == 0 {
		return nil, nil // receive only
	}
	if _, err := sess.Publish(ctx, tracks...); err != nil {
		return players, err
	}
	for _, p := range players {
		p.Start()
	}
	return players, nil
}

// watchEvents logs the call's events and reports on ended when the server
// ends the member's part in it. Events must be taken from the client: it
// queues every one until the app does.
func watchEvents(ctx context.Context, c *client.Client, callID string, log zerolog.Logger, ended chan<- string) {
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			return // signal, or the connection ended: run sees both
		}
		switch d := ev.Data.(type) {
		case *signaling.UserJoined:
			log.Info().Str("who", d.User.ID).Msg("user joined")
		case *signaling.UserLeft:
			log.Info().Str("who", d.User.ID).Str("reason", d.Reason).Msg("user left")
		case *signaling.Tracks:
			log.Info().Str("who", d.UserID).Int("tracks", len(d.Tracks)).Msg("tracks")
		case *signaling.CallEnded:
			if d.CallID == callID {
				log.Info().Str("reason", d.Reason).Msg("call ended")
				ended <- "callEnded"
				return
			}
		case *signaling.Removed:
			if d.CallID == callID {
				log.Info().Str("by", d.By.ID).Msg("removed from the call")
				ended <- "removed"
				return
			}
		default:
			log.Debug().Str("type", ev.Type).RawJSON("data", ev.Raw).Msg("event")
		}
	}
}
