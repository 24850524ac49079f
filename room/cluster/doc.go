// Package cluster keeps ringsfu's cluster state in Redis, so that N ringsfu
// nodes sharing one Redis behave as one server (issue 8). It is the only
// package that imports go-redis; everything else sees the interfaces that
// package room (busy index, call ownership, durable ring deadlines) and
// package signaling (presence, resume records, delivery to a device's node)
// define, and the in-memory implementations of those interfaces stay the
// default: without --redis-url nothing here runs.
//
// Package cluster may import the standard library, go-redis and package room
// (for its id types); package room must never import it. Signaling-side
// interfaces are satisfied structurally with plain types and wired in cmd.
//
// # Keys
//
// Every key starts with Config.Prefix (default "ringsfu:"), written P below.
// Every key that can outlive its writer carries a TTL; every delete that
// another writer might race is a compare-and-delete script; pub/sub is not
// used at all: a node waits on its own inbox with XREAD BLOCK, and after any
// reconnect it re-reads the keys, which are the truth.
//
//	P call:{id}:lease   string "token/node"      PX LeaseTTL   who owns a call
//	P call:{id}:fence   string counter           PX GarbageTTL   last token issued
//	P call:{id}:snap    string (opaque bytes)    PX GarbageTTL   the call, for takeover
//	P owned:{node}      set of call ids          PX GarbageTTL   what a node claims to own
//	P busy:{user}       string "call|m|device" or "call|r|"  PX GarbageTTL   one call or ring per user
//	P deadlines         sorted set, score = due unix ms, member "call|what"
//	P node:{id}         hash cpu, pps, calls, draining, at   PX NodeTTL   liveness and load
//	P nodes             set of node ids (a dead node stays until its calls are adopted)
//	P inbox:{node}      stream of relayed messages  PX 5 min, MAXLEN ~ InboxMax
//	P presence:{user}   hash device → "node/session"  PX GarbageTTL
//	P resume:{session}  hash user, device, claim, node, at (start, Redis ms)  PX 1 h (signaling)
//	P ended:{user}:{device}  string Redis ms   PX GarbageTTL   sessions before it do not resume
//	P name:{user}       string token name   PX GarbageTTL   the user's own name, for every node
//
// Times that decide correctness (lease expiry, heartbeat freshness, deadline
// due-ness) are all Redis's: TTLs run on the Redis clock, heartbeats carry
// the Redis TIME at which they were written, and deadlines are compared
// with Redis TIME inside the claiming script, so clock skew between nodes
// does not matter.
//
// # Ownership and fencing (lease.go)
//
// A call has one owner node. Acquire is a Lua script: if the lease key is
// absent (or already ours) it INCRs the call's fence counter, stores
// "token/node" in the lease with PX LeaseTTL and returns the token; else it
// returns the current holder. Renew (PEXPIRE) and Release (DEL) compare the
// full "token/node" value first. A Lease value is thus unique per
// acquisition: a node that was paused past its TTL and whose call was taken
// over holds a value that no longer matches, and every write of call state
// (snapshot, busy reservations, deadlines) is a Lua script that first
// checks GET lease == the writer's value, so a stale writer changes nothing
// and learns ErrFenced. Renewal of all leases of a node is one script per
// tick (RenewAll) that also refreshes the busy keys of those calls' users.
//
// # Busy index (busy.go)
//
// One key per user: the call it is a member of (with the member's device)
// or ringing in. A slot counts only while its call's lease key exists, so
// if the owner dies and no node takes the call over, nobody stays busy
// past one lease TTL; a takeover (new lease, same call id) makes the slots
// count again without rewriting them. Reserve takes several users in one
// script, per user "reserved" or "busy in call X", fenced by the reserving
// call's lease. Claim (accept/join/create) turns a user's slot into a
// membership and reports the call of a displaced ring. Release is
// compare-and-delete on the call id, fenced. The key's own TTL
// (GarbageTTL, refreshed by every snapshot save) only collects garbage.
//
// # Ring deadlines (deadlines.go)
//
// Each invitation's ring deadline is a member "call|invitation" of the
// deadlines sorted set (fenced add and remove). Every node sweeps it every
// SweepInterval (100 ms) with one script that claims, by Redis TIME, the
// due deadlines of calls the sweeping node owns and of calls nobody owns
// (orphans), moving their score ahead by Redeliver so that no other
// sweeper takes them meanwhile; deadlines of calls other live nodes own
// are left to them. The owner acknowledges (ZREM, fenced) and then fires
// the room's timeout (acknowledging first, because firing may end the
// call and its lease). An orphan's claimer adopts the call (takeover) and
// the restored room re-arms the deadline, already due. Room timeouts are
// idempotent, so each fires exactly once. Lateness: at most SweepInterval
// while the owner lives (about 100 ms measured), at most LeaseTTL +
// SweepInterval if the owner died mid-ring.
//
// # Fewer round trips per room command (deadline_batch.go, node_end.go,
// acquire_claim.go)
//
// Each Redis round trip a room command makes runs on its loop, one after
// the other, so commands share trips where the order allows: a deadline
// scheduled or stopped by a command is queued and written with that
// command's snapshot in one fenced script (or at the command's end,
// room.CommandFlusher; the sweep sends anything left queued); a call's
// end frees its users' slots, removes its stopped deadlines and gives up
// its lease in one script (room.CallEnder); a new call's lease and its
// creator's slot are taken in one script (room.OwnClaimer). Package room
// batches the busy releases of a command itself (one per command, sent
// before the command's first event and its reply).
//
// # Nodes and placement (nodes.go, placement.go)
//
// Every node writes its heartbeat (load figures: CPU, packets/s, calls;
// draining; the Redis TIME of writing) every NodeTTL/4 with PX NodeTTL and
// adds itself to the nodes index. A heartbeat is fresh while younger than
// StaleAfter by Redis time. Place picks the initiator's node unless it is
// overloaded or draining, else the less loaded of two random fresh nodes
// (power of two choices); it refuses (ErrUnavailable) when the node's own
// last heartbeat is stale, so a node cut off from Redis takes no calls. A
// node never declares another dead because it cannot reach Redis itself:
// death is only ever "the lease key expired in Redis".
//
// # Node: the room-side adapter (node.go, timers.go, takeover.go)
//
// A Node implements room.UserIndex, room.Ownership, room.Deadlines and
// room.Persister on a Store and keeps the leases of the calls it owns. Its
// Run owns three loops: heartbeat + renewal of all leases in one script
// every min(LeaseTTL, NodeTTL)/4 (a lease that did not renew is Reclaimed
// if nobody acquired the call since — Redis outage, empty restart, pause —
// else it is lost and NodeConfig.LeaseLost abandons the room), the
// deadline sweep, and the orphan scan.
//
// # Takeover
//
// The owner persists each call's snapshot (room.Snapshot as JSON: call id,
// type, config, initiator, start, members with device state, invitees and
// their states, invitations with expiry, names) after every command that
// changed it, fenced. When a node's heartbeat key expires, every other
// node's orphan scan (every NodeTTL/2) reads its owned:{node} set; for
// each call whose lease is gone it Acquires the lease (one winner), loads
// the snapshot and calls NodeConfig.Restore (room.Manager.Restore), which
// restarts the room with the same call id and re-arms the ring timers
// with the time they had left; the busy slots count again under the new
// lease. A due deadline of an ownerless call triggers the same adoption
// at once. The old owner, if it comes back (SIGCONT), fails its next
// renewal (fenced) and abandons its room silently (room.Manager.Abandon);
// any write it attempts meanwhile is fenced, and before that renewal it
// already serves nothing from its copy: Node.Valid (room.Ownership) knows
// by the node's own clock that the lease may have lapsed (9/10 of LeaseTTL
// after the last successful renewal), so requests go to the new owner.
// A room also persists before each event it sends to another device, and
// drops its snapshot (DropSnapshot) before telling anyone the call ended,
// so no takeover restores a state older than one a client saw. A device
// that signs in while its call has no owner (Orphaned: a slot whose call
// has a snapshot but no lease) adopts the call on that node at once, so a
// resume right after a death or a drain finds its call. The restored room tells every member
// mediaReset {callID, reason: "ownerChanged"} (room.ResetOwnerChanged), and
// again when a member's device attaches, until it publishes on the new node.
//
// # Graceful hand-over
//
// On shutdown the node Freezes (closing its rooms changes no shared
// state; it takes no new call and reports draining), the server closes its
// WebSockets with 1001 and its rooms, then HandOver releases every lease
// (compare-and-delete; snapshots stay), sends each call to the live,
// non-draining node with the fewest calls (relay message KindAdopt), which
// adopts it at once, and deletes the node's heartbeat key, so other nodes
// adopt at their next scan (about 1.5 s) whatever could not be sent.
//
// # Relay (relay.go)
//
// Each node reads its own stream inbox:{node} with XREAD BLOCK from the
// last id it handled (so nothing is lost across a reconnect). Requests for
// a call go to the owner's inbox with a correlation id and the sender's
// node; replies and events for a device go to the device's node's inbox.
// Replies are handed over on the reader goroutine, in stream order with
// the events behind them, so a client sees a reply before the events its
// request caused. A request not answered within the relay timeout fails
// with room.ErrUnavailable (never a hang). Inbox keys carry a TTL
// refreshed by each write, so a dead node's inbox disappears. Package
// signaling decides what is relayed (signaling/cluster*.go): every request
// naming a call another node owns, sign-in look-ups of pending
// invitations and membership, events for devices on other nodes, the end
// of a member's session (to the call's owner), and the take-over of a
// device's session by the node it signs in on next (same session id).
//
// # Presence and resume (presence.go)
//
// presence:{user} maps each connected device to "node/session". An entry is
// valid only while its node's heartbeat is fresh, so a dead node's devices
// vanish without per-session refreshes (the hash TTL only collects
// garbage). resume:{session} keeps what a session needs to resume on
// another node (user, device, token claim, node), written at every sign-in
// with a 1 h TTL. A device that signs in on another node while its session
// lives (connected or in grace) takes it over through the relay
// (signaling's sig.takeSession); a session whose node is gone is moved
// with MoveResume, compare-and-set on the node and only from a node whose
// heartbeat is gone, so one session is resumed once. When the node that
// adopted a call ends a member that did not come back within the resume
// grace, it marks the device (EndResumes): MoveResume then refuses every
// record of that device that began before the mark, so a late resume is a
// new session, as on one node.
//
// # Redis outage
//
// Every call takes a context with a deadline (Config.OpTimeout); an
// unreachable Redis yields room.ErrUnavailable quickly (requests get the
// wire code unavailable), and a node whose own heartbeat is stale places
// no new call. Running rooms keep their media; ring deadlines that cannot
// be stored fall back to local timers. When a heartbeat succeeds again
// after failing, or finds its key gone (Redis restarted empty), the node
// re-syncs: leases are reclaimed, pending deadlines re-armed, every room's
// busy slots and snapshot re-written (room.Manager.Resync) and every
// session's presence re-written. Nobody else is declared dead by a node
// that cannot reach Redis: death is only ever a key that expired in Redis.
//
// # Goroutine model
//
// A Store is safe for concurrent use and starts no goroutine. A Relay owns
// one reader goroutine (Run, ended by its context; it notices within one
// XREAD block of 1 s) plus one timer per pending request. A Node's Run
// owns its three loops and returns when its context ends. cmd starts both
// and ends them on shutdown.
package cluster
