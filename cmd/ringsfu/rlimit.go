//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// raiseFileLimit raises the process's soft limit on open files to its hard
// limit, since every WebSocket and every UDP socket of a member holds a
// descriptor. It returns the soft limit before and after.
func raiseFileLimit() (before, after uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, fmt.Errorf("getrlimit: %w", err)
	}
	before = l.Cur
	if l.Cur >= l.Max {
		return before, before, nil
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return before, before, fmt.Errorf("setrlimit to %d: %w", l.Max, err)
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return before, 0, fmt.Errorf("getrlimit: %w", err)
	}
	return before, l.Cur, nil
}
