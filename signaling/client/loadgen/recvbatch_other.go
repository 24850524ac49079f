//go:build !linux || !(amd64 || arm64)

package loadgen

import (
	"net"
	"net/netip"
)

// recvBatch reads one datagram per system call where recvmmsg is missing.
type recvBatch struct {
	conn *net.UDPConn
	buf  [1600]byte
}

func newRecvBatch(conn *net.UDPConn) *recvBatch { return &recvBatch{conn: conn} }

func (r *recvBatch) take() ([]byte, netip.AddrPort, error) {
	n, addr, err := r.conn.ReadFromUDPAddrPort(r.buf[:])
	return r.buf[:n], addr, err
}
