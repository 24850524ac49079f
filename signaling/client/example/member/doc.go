// Command member is a small native ringsfu call member, written to be read:
// it is the smallest complete app on top of the Go client
// (github.com/ringsfu/ringsfu/signaling/client) that sends and receives
// media.
//
// What it does, in order (each step is one function call of the client):
//
//  1. sign in       client.Dial, with a JWT given by --token or minted here
//     with signaling.Mint from --app-id/--app-secret/--user/--name
//  2. join          (*Client).Join of --call, type video: the call is
//     created if it does not exist yet (PROTOCOL.md §4)
//  3. media         (*Client).StartMedia: a publisher and a subscriber
//     PeerConnection; the session answers the server's offers by itself
//  4. receive       Session.OnRemoteTrack: every other member's tracks,
//     named by the publisher's user id, read until they end
//  5. publish       Session.Publish of a VP8 camera (--video, an IVF file)
//     and an Opus microphone (--audio, an Ogg file), played in a loop
//     by client.Player and restarted at a key frame when the server asks
//  6. report        one JSON line per second on stdout (see report.go)
//  7. hang up       on SIGINT/SIGTERM, after --duration, or when the call
//     ends: Leave, Session.Close, Client.Close, and a final JSON line
//
// Example, against `ringsfu` in dev mode on this machine:
//
//	go run ./signaling/client/example/member \
//	    --url ws://127.0.0.1:8080/v1/signal \
//	    --app-id dev --app-secret ringsfu-dev-secret-do-not-use-in-production \
//	    --user bob --name Bob --call standup --loopback-only \
//	    --video signaling/testdata/media/vp8-320x240.ivf \
//	    --audio signaling/testdata/media/opus-440hz.ogg
//
// Logs go to stderr, reports to stdout. The exit status is 0 after a
// signal, --duration, or the end of the call (callEnded, removed), and 1
// when something failed (bad flags, sign-in or join refused, the connection
// lost).
package main
