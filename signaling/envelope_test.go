package signaling

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestAppendEnvelopeMatchesMarshal(t *testing.T) {
	id := `r"17\é`
	data := []byte(`{"callID":"c1","users":[{"user":{"id":"a","name":"A"},"state":"waiting","received":false}]}`)
	for _, tc := range []struct {
		id   *string
		typ  string
		data []byte
	}{{&id, TypeResult, data}, {nil, TypeInvitationStateChanged, data}, {&id, TypePong, nil}, {nil, TypePong, nil}} {
		got, err := appendEnvelope(tc.id, tc.typ, tc.data)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(Envelope{ID: tc.id, Type: tc.typ, Data: tc.data})
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("invalid JSON %s: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}
