package sfu

import (
	"testing"
	"time"
)

// TestSenderReportFields checks a DownTrack's report without the network:
// its SSRC, packet and octet counts, an NTP time for now, and an RTP
// timestamp that is the latest forwarded one plus the time elapsed since.
func TestSenderReportFields(t *testing.T) {
	f := newFanOutFixture(t, 1)
	for i := 0; i < 9; i++ {
		f.next()
	}
	d := f.downs[0]
	_, lastTS, _ := d.rw.Last()
	latest := f.up.layers[0].latest.Load()
	at := f.up.epoch.Add(time.Duration(uint32(latest)) * time.Millisecond)

	now := at.Add(100 * time.Millisecond)
	sr, ok := d.senderReport(now)
	if !ok {
		t.Fatal("no report after 10 packets")
	}
	if sr.SSRC != d.bind.Load().ssrc || sr.PacketCount != 10 || sr.OctetCount != 10*1000 {
		t.Fatalf("report %+v", sr)
	}
	if want := lastTS + 9000; sr.RTPTime != want { // 100 ms at 90 kHz
		t.Fatalf("rtp time %d, want %d", sr.RTPTime, want)
	}
	if got := int64(sr.NTPTime>>32) - ntpEpochOffset; got != now.Unix() {
		t.Fatalf("ntp seconds %d, want %d", got, now.Unix())
	}
	fresh := newDownTrack(f.up, nil, "x", testLogger(t))
	if _, ok := fresh.senderReport(now); ok {
		t.Fatal("report from a DownTrack that forwarded nothing")
	}
}

// TestSenderReportsReachSubscriber proves that, without Pion's report
// interceptor on the server's send path, a subscriber still receives sender
// reports (RFC 3550 §6.4.1) for the stream it receives, with counts that
// grow and RTP timestamps in the stream's timeline.
func TestSenderReportsReachSubscriber(t *testing.T) {
	testSenderReports(t, newTestEnv(t))
}

// TestFastPathSenderReports: on the direct send path the reports count the
// packets the DownTrack encrypted itself: never more than the subscriber
// received by the time it read the report.
func TestFastPathSenderReports(t *testing.T) {
	rt := testSenderReports(t, newFastTestEnv(t))
	srs := rt.senderReports()
	if last := srs[len(srs)-1]; int(last.PacketCount) > rt.count() {
		t.Fatalf("report counts %d packets, the subscriber received %d", last.PacketCount, rt.count())
	}
}

// testSenderReports is TestSenderReportsReachSubscriber's body in env.
func testSenderReports(t *testing.T, env *testEnv) *recvTrack {
	alice, bob := env.newPeer("alice"), env.newPeer("bob")
	_, _, up := env.publishVideo(alice, 10*time.Millisecond)
	sub := env.newSubscriber(bob, false)
	if _, err := bob.Subscribe(up, "alice"); err != nil {
		t.Fatal(err)
	}
	rt := sub.nextTrack(t)
	waitFor(t, 3*senderReportInterval+waitTimeout, "two sender reports", func() bool {
		return len(rt.senderReports()) >= 2
	})
	srs := rt.senderReports()
	a, b := srs[0], srs[len(srs)-1]
	if b.PacketCount <= a.PacketCount || b.OctetCount <= a.OctetCount || b.NTPTime <= a.NTPTime {
		t.Fatalf("reports do not advance: %+v then %+v", a, b)
	}
	pkts := rt.packets()
	last := pkts[len(pkts)-1].header.Timestamp
	// 90 kHz: a report's timestamp is within a few seconds of the stream's.
	if d := int32(b.RTPTime - last); d < -5*90000 || d > 5*90000 {
		t.Fatalf("report rtp time %d far from the stream's %d", b.RTPTime, last)
	}
	return rt
}
