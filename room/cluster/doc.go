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
//	P call:{id}:fence   string counter           PX FenceTTL   last token issued
//	P call:{id}:snap    string (opaque bytes)    PX FenceTTL   the call, for takeover
//	P owned:{node}      set of call ids          PX FenceTTL   what a node claims to own
//	P busy:{user}       string "call/kind/device/token"  PX LeaseTTL   one call or ring per user
//	P deadlines         sorted set, score = due unix ms, member "call/what"
//	P node:{id}         string (JSON Heartbeat)  PX NodeTTL    liveness and load
//	P nodes             set of node ids (index; stale members pruned by readers)
//	P inbox:{node}      stream of relayed messages  PX InboxTTL, MAXLEN ~ InboxMax
//	P presence:{user}   hash device → "node/session"  PX PresenceTTL
//	P resume:{session}  hash user, device, claim, node  PX ResumeTTL
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
// or ringing in. Reserve takes several users in one script, per user
// "reserved" or "busy in call X"; it is fenced by the reserving call's
// lease and sets PX LeaseTTL on each key, so that if the owner dies and no
// node takes the call over, nobody stays busy past one lease TTL. Claim
// (accept/join) turns a user's slot into a membership and reports the call
// of a displaced ring. Release is compare-and-delete on the call id.
//
// # Ring deadlines (deadlines.go)
//
// Each invitation's ring deadline is a member of the deadlines sorted set
// (fenced add and remove). Every node sweeps it every SweepInterval with
// one script: members due by Redis TIME are claimed by moving their score
// ahead by Redeliver, and returned. The claimer relays the timeout to the
// call's owner, or takes the call over if its lease is gone; the owner
// applies it (room timeouts are idempotent: an invitation that already
// ended is ignored) and then Acks (ZREM, fenced), so each deadline fires
// exactly once even if the node that claimed it dies: it is claimed again
// after Redeliver. A deadline's lateness is at most SweepInterval while the
// owner lives, and at most LeaseTTL + SweepInterval if the owner died.
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
// # Takeover
//
// When a node's lease on a call expires (death, pause, partition), any
// node that needs the call (a relayed request that timed out, a due
// deadline, or the periodic orphan scan of owned:{node} sets of nodes
// whose heartbeat vanished) Acquires it with a new token, loads the
// snapshot, restarts the room goroutine with the same call id, members,
// invitees, config, initiator and ring deadlines, re-asserts the busy
// keys, and sends every member mediaReset {callID, reason: "ownerChanged"}.
// The old owner, if it comes back, fails its next fenced write or renewal,
// stops its room without emitting anything and closes its media.
//
// # Relay (relay.go)
//
// Each node reads its own stream inbox:{node} with XREAD BLOCK from the
// last id it handled. Requests for a call go to the owner's inbox with a
// correlation id and the sender's node; replies and events for a device go
// to the device's node's inbox. A request not answered within RelayTimeout
// fails with ErrUnavailable (never a hang); the sender then re-resolves the
// owner. Inbox keys carry a TTL refreshed by each write, so a dead node's
// inbox disappears.
//
// # Presence and resume (presence.go)
//
// presence:{user} maps each connected device to "node/session". An entry is
// valid only while its node's heartbeat is fresh, so a dead node's devices
// vanish without per-session refreshes (the hash TTL only collects
// garbage). resume:{session} keeps what a session needs to resume on
// another node (user, device, token claim, node); Move is compare-and-set
// on the node so two nodes cannot both resume one session.
//
// # Redis outage
//
// Every call takes a context with a deadline (Config.OpTimeout); an
// unreachable Redis yields ErrUnavailable quickly. Running rooms keep their
// media; the lease renewer keeps trying and, when Redis is back, a node
// whose lease still matches carries on, and one whose lease was lost stops
// the room (fenced). Nobody else is declared dead by a node that cannot
// reach Redis.
//
// # Goroutine model
//
// A Store is safe for concurrent use and starts no goroutine. An Inbox owns
// one reader goroutine (started by Run, ended by cancelling its context or
// Close). Periodic work (heartbeat, lease renewal, deadline sweep, orphan
// scan) is driven by the caller (cmd wiring or the room Manager's cluster
// adapter), each loop owned by whoever starts it and ended by its context.
package cluster
