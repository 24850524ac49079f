package signaling

import "testing"

// TestEveryCallRequestIsRoutedToTheOwner: in a cluster a request about a
// call must reach the call's owner, so every request kind except hello and
// ping must be known to requestCall (mediaReset once was not, and failed
// from a non-owner node).
func TestEveryCallRequestIsRoutedToTheOwner(t *testing.T) {
	for typ, mk := range requestKinds() {
		if typ == TypeHello || typ == TypePing {
			continue
		}
		got, _ := requestCall(mk())
		if got != typ {
			t.Errorf("requestCall(%s) = %q: a %s from a non-owner node would not be relayed", typ, got, typ)
		}
	}
}
