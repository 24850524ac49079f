package signaling

import "sync"

// sendQueue is a connection's bounded outgoing queue. Unlike a buffered
// channel it holds no memory while empty, which keeps idle sessions small,
// and the writer takes everything queued in one step.
type sendQueue struct {
	mu    sync.Mutex
	items []outItem // guarded by mu
	max   int
	wake  chan struct{} // capacity 1: "something was queued"
}

// newSendQueue returns a queue of at most max items.
func newSendQueue(max int) *sendQueue {
	return &sendQueue{max: max, wake: make(chan struct{}, 1)}
}

// push queues it; false means the queue is full (a slow consumer). A close
// item is always accepted.
func (q *sendQueue) push(it outItem) bool {
	q.mu.Lock()
	if len(q.items) >= q.max && it.closeCode == 0 {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// take moves every queued item into buf (reset to length 0) and returns it.
func (q *sendQueue) take(buf []outItem) []outItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	if cap(q.items) > 64 {
		q.items = nil // let a burst's backing array go
	}
	return buf
}
