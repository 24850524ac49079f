package loadgen

// sysRecvmmsg is recvmmsg(2) on linux/arm64.
const sysRecvmmsg = 243
