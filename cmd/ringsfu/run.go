package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// run dispatches to a subcommand. Asking for help (-h, --help) is not an
// error: the flag set printed its usage, and the exit status is 0.
func run(args []string, stdout, stderr io.Writer) error {
	err := dispatch(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := parseServeFlags(args, os.Getenv, stderr)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return serve(ctx, cfg, stdout, stderr, stop)
	case "token":
		return tokenCommand(args, os.Getenv, stdout, stderr)
	case "load":
		return loadCommand(args, os.Getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q (try: serve, token, load, help)", cmd)
	}
}

const usage = `ringsfu — call invitations and an SFU in one binary.

Usage:
  ringsfu [serve] [flags]     run the server (no flags: dev mode on 127.0.0.1:8080)
  ringsfu token [flags]       print a signed JWT for a user
  ringsfu load [flags]        drive a running server (loopback only) and print figures
  ringsfu help

Every serve flag can also be set as an environment variable RINGSFU_<NAME>,
e.g. --app-secret as RINGSFU_APP_SECRET. Run 'ringsfu serve -h' for flags.
`
