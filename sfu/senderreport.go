package sfu

import (
	"time"

	"github.com/pion/rtcp"
)

// Sender reports (RFC 3550 §6.4.1) toward subscribers, without an
// interceptor on the send path.
//
// A subscriber needs the NTP/RTP timestamp mapping of each stream it
// receives to synchronize audio and video, and the packet and octet counts
// for its statistics. Pion's report interceptor would take a lock and read
// the clock for every packet written to every subscriber; instead:
//
//   - each UpTrack layer records the timestamp and arrival time of its
//     latest packet (one atomic store per received packet, packed in one
//     word);
//   - each DownTrack counts the packets and payload octets it writes (two
//     atomic adds per packet on its own cache line);
//   - one goroutine per subscribing Peer, started with its first
//     subscription, sends a compound RTCP packet with the reports of all its
//     DownTracks every senderReportInterval. A report's RTP timestamp is the
//     latest packet's, translated by the DownTrack's current source mapping,
//     plus the time elapsed since it arrived.

// senderReportInterval is the interval between two rounds of reports; the
// same as Pion's report interceptor.
const senderReportInterval = time.Second

// reportsPerPacket bounds the reports in one compound RTCP packet (28 bytes
// each, well below an MTU).
const reportsPerPacket = 32

// ntpEpochOffset is the number of seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2208988800

// ntpTime converts t to the 64-bit NTP format (RFC 3550 §4).
func ntpTime(t time.Time) uint64 {
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + ntpEpochOffset
	frac := uint64(ns%1e9) << 32 / 1e9
	return sec<<32 | frac
}

// packTSArrival packs an RTP timestamp and an arrival time (track clock,
// ns) into one word: the timestamp in the high half, the arrival in
// milliseconds (which wraps after 49 days) in the low half.
func packTSArrival(ts uint32, arrival int64) uint64 {
	return uint64(ts)<<32 | uint64(uint32(arrival/int64(time.Millisecond)))
}

// senderReport builds the DownTrack's report for the instant now; ok is
// false before the first forwarded packet.
func (d *DownTrack) senderReport(now time.Time) (sr *rtcp.SenderReport, ok bool) {
	b := d.bind.Load()
	m := d.srcMap.Load()
	packets := d.forwarded.Load()
	if b == nil || m == nil || packets == 0 {
		return nil, false
	}
	u := d.up
	latest := u.layers[m.slot].latest.Load()
	if latest == 0 {
		return nil, false
	}
	ts := uint32(latest >> 32)
	atMs := uint32(latest)
	nowMs := uint32(now.Sub(u.epoch) / time.Millisecond)
	elapsedMs := int64(int32(nowMs - atMs))
	if elapsedMs < 0 {
		elapsedMs = 0
	}
	ticks := uint32(elapsedMs * int64(u.codec.ClockRate) / 1000)
	return &rtcp.SenderReport{
		SSRC:        b.ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     ts + m.m.TSOffset + ticks,
		PacketCount: uint32(packets),
		OctetCount:  uint32(d.octets.Load()),
	}, true
}

// startReports starts the Peer's sender report goroutine, once.
func (p *Peer) startReports() {
	p.reportsOnce.Do(func() { p.spawn(p.reportLoop) })
}

// reportLoop sends the sender reports of the Peer's DownTracks every
// senderReportInterval until the Peer closes.
func (p *Peer) reportLoop() {
	t := time.NewTicker(senderReportInterval)
	defer t.Stop()
	var downs []*DownTrack
	var pkts []rtcp.Packet
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		downs = downs[:0]
		p.mu.Lock()
		for _, d := range p.downs {
			downs = append(downs, d)
		}
		p.mu.Unlock()
		now := time.Now()
		pkts = pkts[:0]
		for _, d := range downs {
			if sr, ok := d.senderReport(now); ok {
				pkts = append(pkts, sr)
			}
		}
		for len(pkts) > 0 {
			n := min(len(pkts), reportsPerPacket)
			if err := p.sub.WriteRTCP(pkts[:n]); err != nil {
				p.log.Debug().Err(err).Msg("sender reports not sent")
				break
			}
			pkts = pkts[n:]
		}
		clear(downs)
	}
}
