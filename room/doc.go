// Package room owns calls. A call is a room: its members, its initiator, its
// call config, the states of its invitees, its ring timers, the members'
// device state and track lists, and removal.
//
// The Manager maps call ids to rooms and keeps the one cross-call rule: a user
// is a member of at most one call, or has a waiting invitation in at most one
// call ("busy"). That index is a UserIndex (in memory by default, in Redis
// for a cluster through package room/cluster), consulted under one small
// mutex which is never held while calling into a room. Call ownership and
// ring deadlines likewise sit behind the Ownership and Deadlines
// interfaces (cluster_state.go); package room never imports room/cluster.
// Optional interfaces (shared_batch.go) let a cluster's shared state do
// several of those steps in one Redis round trip; a room also sends the
// busy releases of one command together.
//
// Goroutine model: every Room has exactly one goroutine (its loop) that owns
// all of its state. Requests are closures sent to the loop and run to
// completion there; timers and other rooms post closures, never touching
// state themselves. The loop never blocks: it hands events to the Notifier,
// whose implementation must enqueue without waiting. The loop exits when the
// call ends or the Manager is closed.
//
// Call history is fed through the History interface (history.go), which
// package room/history implements; the server API acts through the
// Manager's server requests (server_ops.go).
//
// Package room knows neither JSON nor WebSocket and parses no RTP. It may
// import only the standard library and, for media, package sfu. It reports
// upward only through the Notifier interface it defines.
package room
