package main

import (
	"errors"
	"flag"
	"os"
	"strings"
)

// pushConfig is the push part of Config: each provider's credentials and
// endpoint (README "Push notifications"). A provider without credentials
// is off; with none, push is off.
type pushConfig struct {
	VAPIDKey     string // PEM or base64url scalar, or @file
	VAPIDSubject string
	FCMAccount   string // service-account JSON file
	FCMEndpoint  string // base URL of the v1 send API
	FCMTokenURL  string // overrides the account's token_uri
	APNsKey      string // .p8 file
	APNsKeyID    string
	APNsTeamID   string
	APNsEndpoint string
	APNsTopic    string // default bundle id when a registration has no appID
	APNsCA       string // extra trusted root certificates (PEM), e.g. a proxy's or a test's
}

// registerPushFlags declares pushConfig's flags on fs.
func registerPushFlags(fs *flag.FlagSet, p *pushConfig) {
	fs.StringVar(&p.VAPIDKey, "webpush-vapid-key", "", "Web Push: VAPID P-256 private key, PEM or base64url, or @FILE (empty: Web Push off)")
	fs.StringVar(&p.VAPIDSubject, "webpush-subject", "", "Web Push: VAPID contact, mailto:… or https://… (required with --webpush-vapid-key)")
	fs.StringVar(&p.FCMAccount, "fcm-service-account", "", "FCM: service-account JSON file of the Firebase project (empty: FCM off)")
	fs.StringVar(&p.FCMEndpoint, "fcm-endpoint", "https://fcm.googleapis.com", "FCM: base URL of the HTTP v1 API")
	fs.StringVar(&p.FCMTokenURL, "fcm-token-url", "", "FCM: OAuth2 token endpoint (default: the service account's token_uri)")
	fs.StringVar(&p.APNsKey, "apns-key", "", "APNs: token-based auth key file (.p8) (empty: APNs off)")
	fs.StringVar(&p.APNsKeyID, "apns-key-id", "", "APNs: the key's id")
	fs.StringVar(&p.APNsTeamID, "apns-team-id", "", "APNs: the developer team id")
	fs.StringVar(&p.APNsEndpoint, "apns-endpoint", "https://api.push.apple.com", "APNs: base URL (https://api.sandbox.push.apple.com for development builds)")
	fs.StringVar(&p.APNsTopic, "apns-topic", "", "APNs: bundle id for registrations without appID")
	fs.StringVar(&p.APNsCA, "apns-ca", "", "APNs: PEM file of extra trusted root certificates for --apns-endpoint (a proxy's)")
}

// finishPush validates the push flags.
func finishPush(p *pushConfig) error {
	if strings.HasPrefix(p.VAPIDKey, "@") {
		b, err := os.ReadFile(p.VAPIDKey[1:])
		if err != nil {
			return errors.New("--webpush-vapid-key: " + err.Error())
		}
		p.VAPIDKey = string(b)
	}
	if p.VAPIDKey != "" && p.VAPIDSubject == "" {
		return errors.New("--webpush-subject is required with --webpush-vapid-key")
	}
	if p.APNsKey != "" && (p.APNsKeyID == "" || p.APNsTeamID == "") {
		return errors.New("--apns-key-id and --apns-team-id are required with --apns-key")
	}
	return nil
}
