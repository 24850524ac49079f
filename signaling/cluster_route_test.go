package signaling

import (
	"reflect"
	"testing"
)

// TestEveryCallRequestIsRoutedToTheOwner: in a cluster a request about a
// call must reach the call's owner, so every request kind whose data names
// a call (a CallID field) must be known to requestCall (mediaReset once
// was not, and failed from a non-owner node).
func TestEveryCallRequestIsRoutedToTheOwner(t *testing.T) {
	for typ, mk := range requestKinds() {
		v := mk()
		if !reflect.ValueOf(v).Elem().FieldByName("CallID").IsValid() {
			continue
		}
		got, _ := requestCall(v)
		if got != typ {
			t.Errorf("requestCall(%s) = %q: a %s from a non-owner node would not be relayed", typ, got, typ)
		}
	}
}
