package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestAbsSendTimeMatchesNTP(t *testing.T) {
	times := []time.Time{
		time.Unix(0, 0),
		time.Unix(1700000000, 123456789),
		time.Unix(1700000063, 999999999),
		time.Date(2030, 1, 2, 3, 4, 5, 500_000_000, time.UTC),
	}
	for _, tm := range times {
		want := uint32(rtp.NewAbsSendTimeExtension(tm).Timestamp & 0xFFFFFF)
		got := AbsSendTime(tm.UnixNano())
		// NTP fractions are truncated differently; allow one 2^-18 s step.
		if d := int64(got) - int64(want); d < -1 || d > 1 {
			t.Fatalf("%v: AbsSendTime = %#x, rtp says %#x", tm, got, want)
		}
	}
	var b [3]byte
	PutAbsSendTime(b[:], 0xABCDEF)
	if b != [3]byte{0xAB, 0xCD, 0xEF} {
		t.Fatalf("PutAbsSendTime wrote %x", b)
	}
}
