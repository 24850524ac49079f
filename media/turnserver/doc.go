// Package turnserver is ringsfu's embedded TURN server (RFC 8656) on
// pion/turn: TURN over UDP and TCP on one port, and over TLS on another,
// relaying only to the SFU's own media addresses.
//
// It lives under media because it is part of the media transport: a client
// that cannot reach the SFU's media port directly reaches it through a relay
// address on the same --rtc-ip. It imports no project package; package cmd
// wires it (flags, the TLS certificate, /metrics) and hands the credentials
// it mints (Credentials, the TURN REST API scheme that coturn calls
// use-auth-secret) to clients in the hello result.
//
// Safety rules, each enforced here:
//
//   - Authentication: a username is "expiry:userID" (expiry in Unix seconds)
//     and its password the base64 HMAC-SHA1 of the username keyed with the
//     shared secret. Expired, malformed and forged credentials are refused
//     (401) and counted.
//   - Not an open relay: permissions (CreatePermission, ChannelBind) are
//     granted only for the relay IP itself (the SFU's --rtc-ip), anything
//     else gets 403; relayed datagrams are sent only to the SFU's media ports
//     (Peers) and never to another relay address of this server, and
//     datagrams from other ports are dropped.
//   - Quota: at most MaxAllocationsPerUser live allocations per user (486).
//   - Bandwidth: each allocation relays at most BytesPerSecond in both
//     directions together; datagrams over it are dropped.
//
// Goroutine model: pion/turn owns one read loop per listener (UDP socket,
// TCP and TLS listeners and their connections) and one per allocation; all
// exit when Close closes the listeners. This package starts no goroutine of
// its own. Its callbacks run on those loops and touch only atomic counters
// and the mutex-guarded per-user allocation counts.
package turnserver
