package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/ringsfu/ringsfu/signaling/push"
)

// nativeProviders builds the APNs and FCM providers that are configured.
func nativeProviders(cfg Config) ([]push.Provider, error) {
	var out []push.Provider
	p := cfg.Push
	if p.FCMAccount != "" {
		sa, err := os.ReadFile(p.FCMAccount)
		if err != nil {
			return nil, fmt.Errorf("--fcm-service-account: %w", err)
		}
		f, err := push.NewFCM(push.FCMConfig{ServiceAccount: sa, Endpoint: p.FCMEndpoint, TokenURL: p.FCMTokenURL})
		if err != nil {
			return nil, fmt.Errorf("--fcm-service-account: %w", err)
		}
		out = append(out, f)
	}
	if p.APNsKey != "" {
		a, err := apnsProvider(p)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// apnsProvider reads the .p8 key (and extra roots) and builds APNs.
func apnsProvider(p pushConfig) (*push.APNs, error) {
	key, err := os.ReadFile(p.APNsKey)
	if err != nil {
		return nil, fmt.Errorf("--apns-key: %w", err)
	}
	var client *http.Client
	if p.APNsCA != "" {
		pemCA, err := os.ReadFile(p.APNsCA)
		if err != nil {
			return nil, fmt.Errorf("--apns-ca: %w", err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pemCA) {
			return nil, fmt.Errorf("--apns-ca: no certificate in %s", p.APNsCA)
		}
		client = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	}
	a, err := push.NewAPNs(push.APNsConfig{Key: key, KeyID: p.APNsKeyID, TeamID: p.APNsTeamID, Endpoint: p.APNsEndpoint,
		Topic: p.APNsTopic, Client: client})
	if err != nil {
		return nil, fmt.Errorf("--apns-key: %w", err)
	}
	return a, nil
}
