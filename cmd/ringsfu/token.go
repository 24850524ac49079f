package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ringsfu/ringsfu/signaling"
)

// tokenCommand prints a signed JWT. Without --app-secret it signs for dev
// mode (app "dev" and the dev secret), matching `ringsfu` with no flags.
func tokenCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	appID := fs.String("app-id", "", "application id (default: dev)")
	secret := fs.String("app-secret", "", "HS256 secret (default: the dev secret)")
	user := fs.String("user", "", "user id (required)")
	name := fs.String("name", "", "display name")
	ttl := fs.Duration("ttl", time.Hour, "validity")
	call := fs.String("call", "", "restrict the token to this call id")
	server := fs.Bool("server", false, "a server API token for the app's backend (no --user)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := applyEnv(fs, getenv); err != nil {
		return err
	}
	if *secret == "" {
		*secret = devSecret
		if *appID == "" {
			*appID = devAppID
		}
	}
	if *appID == "" {
		return fmt.Errorf("--app-id is required with --app-secret")
	}
	if *server {
		if *user != "" || *call != "" {
			return fmt.Errorf("--server takes no --user or --call")
		}
		tok, err := signaling.MintServer(*appID, *secret, *ttl, time.Time{})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	}
	if *user == "" {
		return fmt.Errorf("--user is required")
	}
	tok, err := signaling.Mint(signaling.MintOptions{AppID: *appID, Secret: *secret, UserID: *user, Name: *name, TTL: *ttl, Call: *call})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
