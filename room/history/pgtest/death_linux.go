package pgtest

import "syscall"

// setDeathSignal makes the kernel kill the postmaster when the test process
// dies.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
