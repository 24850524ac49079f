//go:build !linux

package pgtest

import "syscall"

// setDeathSignal is a no-op where the kernel offers no parent-death signal;
// Close still stops the server.
func setDeathSignal(*syscall.SysProcAttr) {}
