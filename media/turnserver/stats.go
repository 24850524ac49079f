package turnserver

import "sync/atomic"

// Stats are the server's counters, read by package cmd for /metrics. All
// fields only grow.
type Stats struct {
	// Allocations counts allocations created.
	Allocations atomic.Uint64
	// AllocationsEnded counts allocations removed (expired, refreshed to
	// zero, or closed with the server); live = Allocations - AllocationsEnded.
	AllocationsEnded atomic.Uint64
	// BytesToPeers counts bytes relayed from clients to the SFU.
	BytesToPeers atomic.Uint64
	// BytesFromPeers counts bytes relayed from the SFU to clients.
	BytesFromPeers atomic.Uint64
	// AuthRefusals counts requests refused for an expired, malformed or
	// forged credential (401).
	AuthRefusals atomic.Uint64
	// PermissionRefusals counts permissions refused for a peer IP that is
	// not the relay IP (403).
	PermissionRefusals atomic.Uint64
	// PeerRefusals counts relayed datagrams dropped because their peer
	// address is not one of the SFU's media ports.
	PeerRefusals atomic.Uint64
	// QuotaRefusals counts allocations refused by the per-user quota (486).
	QuotaRefusals atomic.Uint64
	// BandwidthDrops counts datagrams dropped by the per-allocation
	// bandwidth cap.
	BandwidthDrops atomic.Uint64
}
