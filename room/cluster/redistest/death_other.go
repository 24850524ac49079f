//go:build !linux

package redistest

import "os/exec"

// setDeathSignal is a no-op where the kernel offers no parent-death signal;
// Close still stops the server.
func setDeathSignal(*exec.Cmd) {}
