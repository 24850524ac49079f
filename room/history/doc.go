// Package history keeps call history in a database through database/sql:
// every call with its type, initiator, start, end and end reason, every
// membership with join and leave times and the device that joined, and
// every invitation with who invited whom, when, and the outcome (waiting,
// accepted, declined, busy, canceled, timeout).
//
// The default database is SQLite (modernc.org/sqlite, pure Go) in a file
// under the data directory; a postgres:// URL selects PostgreSQL through
// pgx's database/sql driver. Open applies the versioned migrations
// (migrate.go) before anything else.
//
// Recorder implements room.History: the room loops report facts, the
// Recorder turns them into Ops and queues them without blocking; one writer
// goroutine writes them in batches, one transaction per batch, retrying a
// refused batch with backoff. A full queue drops the op and counts it on
// /metrics (ringsfu_history_dropped_total{reason="overflow"}). The same
// goroutine runs the retention job.
//
// Store's queries give the full records (Calls, Call) and one user's view
// of its calls (UserHistory, EntryFor), the count of its unseen missed
// calls and its mark-seen time.
//
// Package history imports package room (for the History interface it
// implements) and nothing else of the project; room never imports it.
//
// Goroutine model: a Recorder owns one writer goroutine, started by
// NewRecorder and ended by Close (after draining the queue, or when Close's
// context ends), and during each write attempt one short-lived goroutine
// that cancels the attempt if Close gives up. A Store starts none.
package history
