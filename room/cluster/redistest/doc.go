// Package redistest starts a private redis-server for tests: Debian's
// binary on a free 127.0.0.1 port, without persistence, in a temporary
// directory, stopped when the test (or test binary) ends. It can stop,
// restart, pause and continue that server for outage tests.
//
// When the redis-server binary is missing a test is skipped with a clear
// message, except in CI (environment CI=true), where it fails: CI installs
// the binary (`make test-go` and .ci/run do), so a missing one is a setup
// error there, never a silent pass.
//
// Package redistest imports no go-redis: it only manages the process and
// speaks just enough RESP to see that the server answers PING.
//
// Goroutine model: a Server starts one goroutine per process it launches,
// which waits for the process to exit; Stop and Close wait for it.
package redistest
