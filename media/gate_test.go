package media

import (
	"reflect"
	"testing"
)

func TestGateHoldsUntilOpen(t *testing.T) {
	g := Gate[int]{Max: 2}
	for i, want := range []struct{ pass, held bool }{{false, true}, {false, true}, {false, false}} {
		if pass, held := g.Hold(i); pass != want.pass || held != want.held {
			t.Fatalf("hold %d: pass %v held %v, want %+v", i, pass, held, want)
		}
	}
	if got := g.Open(); !reflect.DeepEqual(got, []int{0, 1}) {
		t.Fatalf("open returned %v, want [0 1]", got)
	}
	if got := g.Open(); got != nil {
		t.Fatalf("second open returned %v", got)
	}
	if pass, held := g.Hold(9); !pass || held {
		t.Fatalf("open gate: pass %v held %v", pass, held)
	}
}
