// Command ringsfu is a self-hosted media server with call invitations:
// ringing, 1:1 and group calls, and inviting people into a running call.
//
// Subcommands: serve (default), token, load. Run `ringsfu help` for flags.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ringsfu:", err)
		os.Exit(1)
	}
}
