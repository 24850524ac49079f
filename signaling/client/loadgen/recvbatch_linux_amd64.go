package loadgen

// sysRecvmmsg is recvmmsg(2) on linux/amd64.
const sysRecvmmsg = 299
