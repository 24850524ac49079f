//go:build linux && (amd64 || arm64)

package media

import (
	"syscall"
	"unsafe"
)

// mmsghdr is struct mmsghdr of sendmmsg(2).
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   [4]byte
}

// batchSys holds the batch's message headers, preallocated and pointing
// at the slot buffers, and the raw connection's callback, built once so
// that sending allocates nothing.
type batchSys struct {
	hdrs  [BatchMax]mmsghdr
	iovs  [BatchMax]syscall.Iovec
	addrs [BatchMax]syscall.RawSockaddrInet4
	raw   syscall.RawConn
	write func(fd uintptr) bool

	// Per send: the window of hdrs still to go and the outcome.
	from, to, sent int
}

func (s *batchSys) init(b *DatagramBatch) {
	for i := range s.hdrs {
		s.addrs[i].Family = syscall.AF_INET
		s.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&s.addrs[i]))
		s.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet4
		s.hdrs[i].hdr.Iov = &s.iovs[i]
		s.hdrs[i].hdr.Iovlen = 1
	}
	if raw, err := b.conn.SyscallConn(); err == nil {
		s.raw = raw
	}
	s.write = s.sendmmsg
}

// send fills the headers of b's committed datagrams and sends them,
// retrying after partial sends; a datagram that fails is skipped.
func (s *batchSys) send(b *DatagramBatch) int {
	for i := 0; i < b.n; i++ {
		s.iovs[i].Base = &b.bufs[i][0]
		s.iovs[i].SetLen(b.lens[i])
		a := &s.addrs[i]
		ip := b.dst[i].Addr().Unmap().As4()
		a.Addr = ip
		port := b.dst[i].Port()
		a.Port = port<<8 | port>>8 // network byte order
	}
	if s.raw == nil {
		return 0
	}
	s.from, s.to, s.sent = 0, b.n, 0
	for s.from < s.to {
		if err := s.raw.Write(s.write); err != nil {
			break // socket closed
		}
	}
	return s.sent
}

// sendmmsg is the raw connection's write callback: it returns false to
// wait until the socket is writable.
func (s *batchSys) sendmmsg(fd uintptr) bool {
	n, _, errno := syscall.Syscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&s.hdrs[s.from])),
		uintptr(s.to-s.from), 0, 0, 0)
	switch {
	case errno == syscall.EAGAIN:
		return false
	case errno == syscall.EINTR:
		return true // try again from the same datagram
	case errno != 0:
		s.from++ // the first datagram failed: skip it
	default:
		s.from += int(n)
		s.sent += int(n)
	}
	return true
}
