//go:build !linux || !(amd64 || arm64)

package media

// batchSys sends one datagram per system call where sendmmsg is missing.
type batchSys struct{}

func (s *batchSys) init(*DatagramBatch) {}

func (s *batchSys) send(b *DatagramBatch) int {
	sent := 0
	for i := 0; i < b.n; i++ {
		if _, err := b.conn.WriteToUDPAddrPort(b.bufs[i][:b.lens[i]], b.dst[i]); err == nil {
			sent++
		}
	}
	return sent
}
