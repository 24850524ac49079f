//go:build unix

package main

import (
	"syscall"
	"testing"
)

// TestRaiseFileLimit lowers the soft open-file limit, then checks that
// raiseFileLimit lifts it to the hard limit.
func TestRaiseFileLimit(t *testing.T) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	if l.Max <= 256 {
		t.Skipf("hard open-file limit %d leaves nothing to raise", l.Max)
	}
	low := syscall.Rlimit{Cur: 256, Max: l.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	before, after, err := raiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	if before != 256 || after != l.Max || l.Cur != l.Max {
		t.Fatalf("before %d, after %d, now %d of hard %d", before, after, l.Cur, l.Max)
	}
}
