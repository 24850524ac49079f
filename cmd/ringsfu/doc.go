// Command ringsfu is a self-hosted media server with call invitations:
// ringing, 1:1 and group calls, and inviting people into a running call.
//
// Subcommands: serve (default), token, load. Run `ringsfu help` for flags.
package main
