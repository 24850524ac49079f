package main

import (
	"fmt"
	"os"

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
	return out, nil
}
