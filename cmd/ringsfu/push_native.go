package main

import "github.com/ringsfu/ringsfu/signaling/push"

// nativeProviders builds the APNs and FCM providers that are configured.
func nativeProviders(cfg Config) ([]push.Provider, error) {
	return nil, nil
}
