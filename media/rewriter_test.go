package media

import (
	"testing"
	"time"
)

type rwIn struct {
	switchFirst bool
	seq         uint16
	ts          uint32
	at          time.Duration // arrival, relative
}

type rwOut struct {
	seq uint16
	ts  uint32
	ok  bool
}

func TestRewriter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		clock uint32
		in    []rwIn
		want  []rwOut
	}{
		{
			name:  "first source passes through",
			clock: 90000,
			in:    []rwIn{{seq: 100, ts: 5000}, {seq: 101, ts: 5000}, {seq: 102, ts: 8000, at: 33 * ms}},
			want:  []rwOut{{100, 5000, true}, {101, 5000, true}, {102, 8000, true}},
		},
		{
			name:  "layer switch continues sequence and advances timestamp by wall clock",
			clock: 90000,
			in: []rwIn{
				{seq: 100, ts: 5000},
				{seq: 101, ts: 8000, at: 33 * ms},
				{switchFirst: true, seq: 40000, ts: 1000000, at: 66 * ms},
				{seq: 40001, ts: 1000000, at: 66 * ms},
				{seq: 40002, ts: 1003000, at: 99 * ms},
			},
			want: []rwOut{
				{100, 5000, true},
				{101, 8000, true},
				{102, 8000 + 2970, true}, // 33 ms at 90 kHz
				{103, 8000 + 2970, true},
				{104, 8000 + 2970 + 3000, true},
			},
		},
		{
			name:  "pause and resume of the same source leaves no sequence gap",
			clock: 48000,
			in: []rwIn{
				{seq: 10, ts: 960},
				{seq: 11, ts: 1920, at: 20 * ms},
				// 100 packets (2 s) not forwarded while paused.
				{switchFirst: true, seq: 112, ts: 1920 + 101*960, at: 2020 * ms},
				{seq: 113, ts: 1920 + 102*960, at: 2040 * ms},
			},
			want: []rwOut{
				{10, 960, true},
				{11, 1920, true},
				{12, 1920 + 96000, true}, // 2 s at 48 kHz
				{13, 1920 + 96000 + 960, true},
			},
		},
		{
			name:  "packets older than the switch point are refused",
			clock: 90000,
			in: []rwIn{
				{seq: 1, ts: 0},
				{switchFirst: true, seq: 500, ts: 9000, at: 10 * ms},
				{seq: 499, ts: 9000, at: 11 * ms},
				{seq: 501, ts: 9000, at: 12 * ms},
			},
			want: []rwOut{{1, 0, true}, {2, 900, true}, {0, 0, false}, {3, 900, true}},
		},
		{
			name:  "reordering within a source keeps relative order",
			clock: 90000,
			in:    []rwIn{{seq: 10, ts: 0}, {seq: 12, ts: 0}, {seq: 11, ts: 0}, {seq: 13, ts: 3000}},
			want:  []rwOut{{10, 0, true}, {12, 0, true}, {11, 0, true}, {13, 3000, true}},
		},
		{
			name:  "sequence and timestamp wrap",
			clock: 90000,
			in: []rwIn{
				{seq: 65535, ts: 0xFFFFFF00},
				{switchFirst: true, seq: 7, ts: 0, at: 1 * ms},
				{seq: 8, ts: 3000, at: 34 * ms},
			},
			want: []rwOut{{65535, 0xFFFFFF00, true}, {0, 0xFFFFFF00 + 90, true}, {1, (0xFFFFFF00 + 90 + 3000) & 0xFFFFFFFF, true}},
		},
		{
			name:  "switch with no elapsed time still advances the timestamp",
			clock: 90000,
			in:    []rwIn{{seq: 1, ts: 100}, {switchFirst: true, seq: 9, ts: 7}},
			want:  []rwOut{{1, 100, true}, {2, 101, true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRewriter(tt.clock)
			for i, in := range tt.in {
				if in.switchFirst {
					r.Switch()
				}
				s, ts, ok := r.Rewrite(in.seq, in.ts, int64(in.at))
				got := rwOut{s, ts, ok}
				if got != tt.want[i] {
					t.Fatalf("packet %d (%+v): got %+v, want %+v", i, in, got, tt.want[i])
				}
			}
		})
	}
}

func TestRewriterGuardExpires(t *testing.T) {
	r := NewRewriter(90000)
	r.Rewrite(0, 0, 0)
	r.Switch()
	r.Rewrite(1000, 0, 0)
	// Walk the source forward past the guard window and around the
	// sequence space: every packet must still be forwarded contiguously.
	prev, _, _ := r.Last()
	for i := 1; i < 70000; i++ {
		s, _, ok := r.Rewrite(uint16(1000+i), 0, 0)
		if !ok || s != prev+1 {
			t.Fatalf("packet %d: seq %d ok %v, want %d", i, s, ok, prev+1)
		}
		prev = s
	}
}

func TestRewriterLast(t *testing.T) {
	r := NewRewriter(90000)
	if _, _, ok := r.Last(); ok {
		t.Fatal("Last before any packet reported ok")
	}
	r.Rewrite(5, 6, 0)
	r.Rewrite(4, 3, 0)
	if s, ts, ok := r.Last(); !ok || s != 5 || ts != 6 {
		t.Fatalf("Last = %d %d %v, want 5 6 true", s, ts, ok)
	}
}

func TestRewriterNoAllocs(t *testing.T) {
	r := NewRewriter(90000)
	var seq uint16
	n := testing.AllocsPerRun(1000, func() {
		seq++
		if seq%100 == 0 {
			r.Switch()
		}
		r.Rewrite(seq, uint32(seq)*3000, int64(seq)*int64(time.Millisecond))
	})
	if n != 0 {
		t.Fatalf("Rewrite allocates %v times per call", n)
	}
}
