// Package pgtest starts a private PostgreSQL server for tests: Debian's
// binaries (/usr/lib/postgresql/N/bin) run on a free 127.0.0.1 port with a
// throw-away cluster in a temporary directory, removed when the test ends.
// PostgreSQL refuses to run as root, so as root the server runs as the
// `postgres` user that Debian's package creates (or `nobody`).
//
// When the binaries are missing a test is skipped with a clear message,
// except in CI (environment CI=true), where it fails: CI installs the
// package (`make deps-postgres` and .ci/run do).
//
// Goroutine model: a Server starts one goroutine per postmaster it launches,
// which waits for the process to exit; Stop and Close wait for it. The
// postmaster gets a parent-death signal on Linux, so no server outlives a
// crashed test binary.
package pgtest
