package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ringsfu/ringsfu/media"
	"github.com/ringsfu/ringsfu/sfu"
	"github.com/ringsfu/ringsfu/signaling"
	"github.com/ringsfu/ringsfu/webclient"
)

// serve runs the server until ctx ends, then drains and shuts down in
// order: health turns 503 and new WebSockets are refused for the drain
// delay while existing calls go on; then every WebSocket gets 1001, rooms
// close, the HTTP server stops. A second signal exits at once.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer, stop func()) error {
	log, err := newLogger(cfg.LogFormat, cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	if before, after, err := raiseFileLimit(); err != nil {
		log.Warn().Err(err).Uint64("open_files", before).Msg("could not raise the open-file limit")
	} else {
		log.Info().Uint64("before", before).Uint64("open_files", after).Msg("open-file limit")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	eng, err := media.New(media.Config{
		RTCIP:      cfg.RTCIP,
		UDPPort:    cfg.UDPPort,
		UDPPortMin: cfg.UDPPortMin,
		UDPPortMax: cfg.UDPPortMax,
		TCPPort:    cfg.Network.TCPPort,
		Logger:     log.With().Str("component", "media").Logger(),
	})
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	defer eng.Close()
	reg.MustRegister(signaling.NewPionLogCollector(eng.LogStats()))
	netw, err := startNetwork(cfg, log, media.NewLoggerFactory(log.With().Str("component", "turn").Logger()), reg)
	if err != nil {
		return err
	}
	defer netw.Close()
	var cn *clusterNode
	var cl *signaling.Cluster
	peer := sfu.PeerConfig{FastPath: eng.FastPath(), ParallelFanOutMin: cfg.ParallelFanOutMin} // in a cluster its Stats feed the heartbeat's packets/s
	if cfg.RedisURL != "" {
		peer.Stats = &sfu.Stats{}
		if cn, cl, err = startCluster(cfg, log, peer.Stats); err != nil {
			return err
		}
		defer cn.Close()
		cn.registerMetrics(reg)
	}
	hist, err := openHistory(cfg, log, reg)
	if err != nil {
		return err
	}
	defer func() { // a no-op after the ordered close below
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hist.close(ctx)
	}()
	ps, err := startPush(cfg, hist, log, reg)
	if err != nil {
		return err
	}
	defer ps.close()
	hooks := signaling.NewWebhooks(signaling.WebhookConfig{URLs: cfg.Webhooks, AppID: cfg.AppID, Secret: cfg.AppSecret,
		Registerer: reg, Logger: log})
	sig, err := signaling.New(signaling.Config{
		Observer:       ps.observer(hooks),
		PushSink:       ps.sink(),
		Recorder:       hist.recorder(),
		History:        hist.reader(),
		HistoryAPI:     hist.api(),
		Push:           hist.push(),
		MediaAPI:       eng.API(),
		AppID:          cfg.AppID,
		AppSecret:      cfg.AppSecret,
		ICEServers:     iceServers(cfg),
		ICEServersFor:  netw.iceServersFor(),
		AllowedOrigins: cfg.AllowedOrigins,
		ResumeGrace:    cfg.ResumeGrace,
		Registerer:     reg,
		Logger:         log,

		MaxCallSize:           cfg.MaxCallSize,
		MaxOutstandingInvites: cfg.MaxOutstandingInvites,
		MaxPendingConns:       cfg.MaxPendingConns,
		MaxPendingPerAddr:     cfg.MaxPendingPerAddr,
		MaxDevices:            cfg.MaxDevices,
		Cluster:               cl,
		PeerConfig:            peer,
	})
	if err != nil {
		return err
	}
	if cn != nil {
		cn.attach(sig)
	}
	var draining atomic.Bool
	mux := http.NewServeMux()
	mux.Handle("/v1/signal", sig)
	mux.Handle(signaling.APIPrefix, sig.API())
	mux.HandleFunc("GET "+WebPushKeyPath, ps.serveWebPushKey)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if draining.Load() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.Dev {
		mux.HandleFunc("/dev/token", devTokenHandler(cfg))
	}
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/", webclient.Handler())

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(netw.listener(ln)) }()
	log.Info().Str("addr", ln.Addr().String()).Str("scheme", netw.scheme()).Bool("dev", cfg.Dev).Str("app_id", cfg.AppID).Msg("listening")
	if cfg.Dev {
		fmt.Fprintf(stdout, "ringsfu dev mode: open %s://%s/\n", netw.scheme(), ln.Addr())
	}

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	stop()
	// From here a second signal exits at once.
	force := make(chan os.Signal, 1)
	signal.Notify(force, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(force)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-force:
			log.Warn().Msg("second signal: exiting now")
			os.Exit(1)
		case <-finished:
		}
	}()
	// Drain: health says 503 and new WebSockets are refused, so that a load
	// balancer sends new sessions elsewhere, while the calls here go on.
	draining.Store(true)
	sig.Refuse()
	if cfg.DrainDelay > 0 {
		log.Info().Dur("drain_delay", cfg.DrainDelay).Msg("draining: health 503, new connections refused")
		t := time.NewTimer(cfg.DrainDelay)
		<-t.C
	}
	log.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if cn != nil {
		// Closing this node's rooms must not end their calls: the other
		// nodes take them over.
		cn.node.Freeze()
	}
	if err := sig.Shutdown(sctx); err != nil {
		log.Warn().Err(err).Msg("signaling shutdown incomplete")
	}
	if cn != nil {
		if err := cn.node.HandOver(sctx, cn.relay); err != nil {
			log.Warn().Err(err).Msg("cluster hand-over incomplete")
		}
	}
	hist.close(sctx)
	if err := hooks.Close(sctx); err != nil {
		log.Warn().Err(err).Msg("webhooks not all delivered")
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn().Err(err).Msg("http shutdown incomplete")
	}
	<-served
	log.Info().Msg("stopped")
	return nil
}

// iceServers builds the list handed to clients: exactly what was configured.
func iceServers(cfg Config) []signaling.ICEServer {
	out := []signaling.ICEServer{}
	if len(cfg.STUN) > 0 {
		out = append(out, signaling.ICEServer{URLs: cfg.STUN})
	}
	if len(cfg.TURN) > 0 {
		out = append(out, signaling.ICEServer{URLs: cfg.TURN, Username: cfg.TURNUser, Credential: cfg.TURNCredential})
	}
	return out
}

// devTokenHandler serves dev mode's token endpoint: GET or POST
// /dev/token?user=ID&name=NAME returns {"token": "..."}. It exists only in
// dev mode, which listens on loopback only.
func devTokenHandler(cfg Config) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, err := signaling.Mint(signaling.MintOptions{
			AppID:  cfg.AppID,
			Secret: cfg.AppSecret,
			UserID: r.FormValue("user"),
			Name:   r.FormValue("name"),
			Call:   r.FormValue("call"),
			TTL:    12 * time.Hour,
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "appId": cfg.AppID})
	}
}
