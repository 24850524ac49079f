//go:build linux && (amd64 || arm64)

package loadgen

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// recvMax is the most datagrams one recvmmsg(2) takes.
const recvMax = 8

// mmsghdr is struct mmsghdr of recvmmsg(2).
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   [4]byte
}

// recvBatch reads a socket with recvmmsg: whatever has queued up since the
// last read arrives with one system call, and the tap counts most of it
// without a goroutine wake-up per datagram. It belongs to the socket's one
// reader goroutine.
type recvBatch struct {
	raw   syscall.RawConn
	bufs  [recvMax][1600]byte
	hdrs  [recvMax]mmsghdr
	iovs  [recvMax]syscall.Iovec
	addrs [recvMax]syscall.RawSockaddrInet4
	read  func(fd uintptr) bool
	n     int // datagrams in the batch
	next  int // next datagram to hand out
	errno syscall.Errno
}

func newRecvBatch(conn *net.UDPConn) *recvBatch {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil
	}
	r := &recvBatch{raw: raw}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(len(r.bufs[i]))
		r.hdrs[i].hdr.Iov = &r.iovs[i]
		r.hdrs[i].hdr.Iovlen = 1
		r.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&r.addrs[i]))
	}
	r.read = r.recvmmsg
	return r
}

// recvmmsg is the raw connection's read callback: false means wait until
// the socket is readable.
func (r *recvBatch) recvmmsg(fd uintptr) bool {
	for i := range r.hdrs {
		r.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet4
	}
	n, _, errno := syscall.Syscall6(sysRecvmmsg, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), recvMax, 0, 0, 0)
	if errno == syscall.EAGAIN {
		return false
	}
	r.errno, r.n, r.next = errno, int(n), 0
	if errno != 0 {
		r.n = 0
	}
	return true
}

// take returns the next datagram, reading a batch when none is left.
func (r *recvBatch) take() ([]byte, netip.AddrPort, error) {
	for r.next >= r.n {
		if err := r.raw.Read(r.read); err != nil {
			return nil, netip.AddrPort{}, err
		}
		if r.errno != 0 && r.errno != syscall.EINTR {
			return nil, netip.AddrPort{}, r.errno
		}
	}
	i := r.next
	r.next++
	a := &r.addrs[i]
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&a.Port))[:])
	return r.bufs[i][:r.hdrs[i].len], netip.AddrPortFrom(netip.AddrFrom4(a.Addr), port), nil
}
