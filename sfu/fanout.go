package sfu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Parallel fan-out. A layer reader writes each packet to every DownTrack
// itself while few subscribers take the layer. When the previous packet of
// the layer was written to at least fan.threshold DownTracks, the next
// one is split: the snapshot is cut into up to 1+fan.maxHelpers chunks,
// helper goroutines take all chunks but the first, the reader does the
// first, and waits for the helpers before it reads on (the packet lives in
// the reader's buffer). Splitting shortens the time between the first and
// the last subscriber's copy (the forwarding latency of a large call) and
// lets the SRTP encryption of one packet for hundreds of subscribers use
// more than one core.
//
// The helpers belong to the layer's reader: started the first time a
// packet is split, stopped when the reader exits (stop). Handing a chunk
// over is a channel send of a slice header; nothing is allocated per packet.
// Several layers' readers (and their helpers) may offer packets to one
// DownTrack at the same time; forward.go's ownership protocol already
// handles that.

// defaultParallelFanOutMin is PeerConfig.ParallelFanOutMin's default.
const defaultParallelFanOutMin = 64

// fanOutHelpers bounds the helper goroutines of one layer: one fewer than
// the processors Go may use (more chunks than processors only add wake-ups,
// and delay the socket's writer goroutine), at least 1, at most 3.
func fanOutHelpers() int { return max(1, min(3, runtime.GOMAXPROCS(0)-1)) }

// fanOut is a layer reader's fan-out state; only the reader calls run and
// stop.
type fanOut struct {
	f forwardPacket // the packet being fanned out (helpers read it)

	threshold  int // DownTracks per packet from which it is split; <= 0: never
	maxHelpers int // helper goroutines at most

	batch       sendBatch // the reader's direct sends (fastpath.go)
	lastWritten int       // DownTracks written for the previous packet
	lastBytes   uint64    // bytes those writes carried
	helpers     []chan []*DownTrack
	pending     sync.WaitGroup // chunks handed out for the current packet
	exited      sync.WaitGroup // helper goroutines running
	written     atomic.Int64   // DownTracks written by the helpers
	bytes       atomic.Uint64  // bytes written by the helpers
}

// run offers fo.f to every DownTrack of downs.
func (fo *fanOut) run(downs []*DownTrack) {
	chunks := 1
	if fo.threshold > 0 && fo.lastWritten >= fo.threshold {
		chunks = 1 + fo.lastWritten/fo.threshold
	}
	chunks = max(1, min(chunks, 1+fo.maxHelpers, len(downs)))
	if chunks == 1 {
		fo.lastWritten, fo.lastBytes = fo.forwardAll(downs, &fo.batch)
		return
	}
	fo.startHelpers(chunks - 1)
	size := (len(downs) + chunks - 1) / chunks
	fo.written.Store(0)
	fo.bytes.Store(0)
	fo.pending.Add(chunks - 1)
	for i := 1; i < chunks; i++ {
		lo := min(i*size, len(downs))
		hi := min(lo+size, len(downs))
		fo.helpers[i-1] <- downs[lo:hi]
	}
	w, n := fo.forwardAll(downs[:size], &fo.batch)
	fo.pending.Wait()
	fo.lastWritten = w + int(fo.written.Load())
	fo.lastBytes = n + fo.bytes.Load()
}

// forwardAll offers the packet to each DownTrack of chunk, sends what went
// into sb, and returns how many DownTracks wrote it, and how many bytes
// they wrote.
func (fo *fanOut) forwardAll(chunk []*DownTrack, sb *sendBatch) (written int, bytes uint64) {
	for _, d := range chunk {
		if n := d.forward(&fo.f, sb); n > 0 {
			written++
			bytes += uint64(n)
		}
	}
	sb.flush()
	return written, bytes
}

// startHelpers makes sure n helpers run.
func (fo *fanOut) startHelpers(n int) {
	for len(fo.helpers) < n {
		ch := make(chan []*DownTrack, 1)
		fo.helpers = append(fo.helpers, ch)
		fo.exited.Add(1)
		go fo.help(ch)
	}
}

// help is a helper goroutine's body; it exits when stop closes ch.
func (fo *fanOut) help(ch chan []*DownTrack) {
	defer fo.exited.Done()
	var sb sendBatch // this helper's direct sends
	for chunk := range ch {
		w, n := fo.forwardAll(chunk, &sb)
		fo.written.Add(int64(w))
		fo.bytes.Add(n)
		fo.pending.Done()
	}
}

// stop ends the helpers and waits for them.
func (fo *fanOut) stop() {
	for _, ch := range fo.helpers {
		close(ch)
	}
	fo.helpers = nil
	fo.exited.Wait()
}

// stopFanOut stops the helpers of every layer. Each reader stops its own
// layer's on exit; tests that call handlePacket directly call this when
// done.
func (u *UpTrack) stopFanOut() {
	for i := range u.layers {
		u.layers[i].fan.stop()
	}
}
