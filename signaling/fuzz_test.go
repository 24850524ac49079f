package signaling

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// jsonSpace reports whether b is JSON whitespace (RFC 8259 §2).
func jsonSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// isJSONObject reports whether data is one well-formed JSON object in
// UTF-8, with nothing but JSON whitespace around it.
func isJSONObject(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	i := 0
	for i < len(data) && jsonSpace(data[i]) {
		i++
	}
	return i < len(data) && data[i] == '{' && json.Valid(data)
}

// FuzzDecodeMessage feeds arbitrary bytes through the envelope parser and
// the request decoder (as readPump does after hello) and checks that they
// never panic and that their outcomes are consistent:
//   - parseEnvelope accepts exactly the well-formed JSON objects;
//   - a readable id or type is a JSON string in the input;
//   - decodeRequest either returns a request that validates, re-encodes and
//     decodes again to the same request, or an error that wraps
//     ErrBadRequest or ErrTooLarge (the codes bad_request / too_large).
func FuzzDecodeMessage(f *testing.F) {
	for _, e := range requestExamples {
		f.Add([]byte(`{"id":"r1","type":"` + e.typ + `","data":` + e.json + `}`))
		f.Add([]byte(`{"type":"` + e.typ + `","data":` + e.json + `}`))
	}
	for _, s := range []string{
		`{"type":"ping"}`,
		`{"id":"p","type":"ping","data":null}`,
		`{"id":5,"type":"ping"}`,
		`{"id":null,"type":null,"data":null}`,
		`{"id":"x","type":"invite","data":{"invitees":[],"type":"video"}}`,
		`{"id":"x","type":"invite","data":{"invitees":[{"id":"bob"}],"type":"video","timeoutSeconds":601}}`,
		`{"id":"x","type":"invite","data":{"invitees":[{"id":"bob"}],"type":"video","customData":"` + strings.Repeat("x", 4097) + `"}}`,
		`{"id":"x","type":"setDevice","data":{"callID":"c"}}`,
		`{"id":"x","type":"cancel","data":{"callID":"c","userIDs":[]}}`,
		`{"id":"x","type":"hello","data":{"token":"t","protocol":"1","deviceId":"d"}}`,
		`{"id":"x","type":"trickle","data":{"callID":"c","target":"publisher","candidate":{"sdpMLineIndex":70000}}}`,
		`{"ID":"x","TYPE":"leave","DATA":{"CALLID":"c"}}`,
		`{"type":"leave","data":{"callID":"\ud800"}}`,
		`{"type":"unknown"}`,
		`{`, `[]`, `null`, ``, "\v{}", " \t\r\n{}\n", `{"a":1}{"b":2}`,
	} {
		f.Add([]byte(s))
	}
	kinds := requestKinds()
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	f.Fuzz(func(t *testing.T, data []byte) {
		env, ok := parseEnvelope(data)
		if ok != isJSONObject(data) {
			t.Fatalf("parseEnvelope ok=%v for %q (JSON object: %v)", ok, data, isJSONObject(data))
		}
		if ok {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatalf("accepted but not an object: %v", err)
			}
			if env.id != nil && env.idBad {
				t.Fatal("id both read and bad")
			}
			if env.id != nil && !bytes.Contains(data, []byte(`"`)) {
				t.Fatal("id read from a message without strings")
			}
			if env.typeOK {
				checkDecode(t, env.typ, env.data, kinds)
			}
		}
		// The raw bytes as the data of every request type.
		for _, typ := range names {
			checkDecode(t, typ, json.RawMessage(data), kinds)
		}
		checkDecode(t, "no-such-type", json.RawMessage(data), kinds)
	})
}

// checkDecode decodes data as a typ request and checks the outcome.
func checkDecode(t *testing.T, typ string, data json.RawMessage, kinds map[string]func() validator) {
	t.Helper()
	v, err := decodeRequest(typ, data, kinds)
	if err != nil {
		if v != nil {
			t.Fatalf("%s: both a request and an error", typ)
		}
		if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%s: error %v is neither bad_request nor too_large", typ, err)
		}
		if c := codeFor(err); c != CodeBadRequest && c != CodeTooLarge {
			t.Fatalf("%s: code %s", typ, c)
		}
		return
	}
	if v == nil {
		t.Fatalf("%s: no request and no error", typ)
	}
	if _, known := kinds[typ]; !known {
		t.Fatalf("unknown type %q decoded", typ)
	}
	if err := v.validate(); err != nil {
		t.Fatalf("%s: decoded request does not re-validate: %v", typ, err)
	}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: re-encode: %v", typ, err)
	}
	v2, err := decodeRequest(typ, enc, kinds)
	if err != nil {
		t.Fatalf("%s: re-encoded request %s refused: %v", typ, enc, err)
	}
	enc2, err := json.Marshal(v2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, enc2) {
		t.Fatalf("%s: unstable round trip:\n%s\n%s", typ, enc, enc2)
	}
}
