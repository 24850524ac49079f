package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// certReloader holds the TLS certificate of --tls-cert/--tls-key and
// reloads it when the process gets SIGHUP or either file changes (checked
// every --tls-watch-interval), so that a renewed certificate (certbot,
// cert-manager) is served without a restart. A reload that fails keeps
// the previous certificate and logs the error.
//
// Goroutine: watch, started by serve, exits when its context ends.
type certReloader struct {
	certFile, keyFile string
	log               zerolog.Logger

	mu      sync.RWMutex
	cert    *tls.Certificate // guarded by mu
	stamp   string           // guarded by mu: the files' size and mtime at the last load
	bad     string           // guarded by mu: the stamp of the last failed load, not retried
	reloads int              // guarded by mu: successful loads, the first included
}

// newCertReloader loads the certificate once; an error here stops serve.
func newCertReloader(certFile, keyFile string, log zerolog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// fileStamp identifies the current version of the two files.
func (r *certReloader) fileStamp() string {
	s := ""
	for _, f := range []string{r.certFile, r.keyFile} {
		if fi, err := os.Stat(f); err == nil {
			s += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return s
}

// reload reads both files and, if they hold a valid pair, serves it.
func (r *certReloader) reload() error {
	stamp := r.fileStamp()
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.mu.Lock()
		r.bad = stamp
		r.mu.Unlock()
		return fmt.Errorf("tls certificate: %w", err)
	}
	r.mu.Lock()
	r.cert, r.stamp = &cert, stamp
	r.reloads++
	r.mu.Unlock()
	return nil
}

// getCertificate is tls.Config.GetCertificate.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cert, nil
}

// tlsConfig returns a server config that always serves the current
// certificate, with HTTP/1.1 only (WebSocket upgrades need it).
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{GetCertificate: r.getCertificate, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

// watch reloads on SIGHUP and when the files change, until ctx ends.
func (r *certReloader) watch(ctx context.Context, every time.Duration) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case <-hup:
			why = "SIGHUP"
		case <-tick.C:
			now := r.fileStamp()
			r.mu.RLock()
			same := now == r.stamp || now == r.bad
			r.mu.RUnlock()
			if same {
				continue
			}
			why = "files changed"
		}
		if err := r.reload(); err != nil {
			r.log.Error().Err(err).Str("trigger", why).Msg("tls certificate reload failed; serving the previous one")
			continue
		}
		r.log.Info().Str("trigger", why).Str("cert", r.certFile).Msg("tls certificate reloaded")
	}
}
