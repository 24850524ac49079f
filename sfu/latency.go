package sfu

import "github.com/ringsfu/ringsfu/media"

// forwardLatency records, for every received packet forwarded to at least
// one subscriber, the time from the layer reader getting it from Pion to
// the last subscriber's copy being handed to Pion's writer (rewritten,
// encrypted and queued on the socket). It is process-wide, like the
// runtime's own metrics.
var forwardLatency media.LatencyHistogram

// ForwardingLatency returns the forwarding latency recorded so far: the
// fan-out part of the latency the server adds (the socket's batching delay
// is media.Engine.SendQueueDelay). Take two snapshots and Sub them for an
// interval.
func ForwardingLatency() media.LatencySnapshot { return forwardLatency.Snapshot() }
