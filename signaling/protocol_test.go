package signaling

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
)

// contractExample is one message body written out as in PROTOCOL.md (the
// contract's shorthand `{"callID","type"}` filled in with plausible values).
type contractExample struct {
	name string // distinguishes several examples of one type
	typ  string
	json string
	// omitZero lists fields whose example value is the zero value and that
	// the struct omits when empty; dropping them on re-encode keeps the
	// meaning (absent = default). Only client requests use this.
	omitZero []string
}

// requestExamples covers every client → server request (§3–§6).
var requestExamples = []contractExample{
	{typ: TypeHello, json: `{"token":"<JWT>","protocol":1,"deviceId":"tab-3f2a","resume":"s_4f1c2a9e"}`},
	{name: "no resume", typ: TypeHello, json: `{"token":"<JWT>","protocol":1,"deviceId":"tab-3f2a"}`},
	{typ: TypePing, json: `{}`},
	{typ: TypeInvite, json: `{"invitees":[{"id":"bob","name":"Bob"}], "type":"video", "callID":"optional",
		"customData":"", "timeoutSeconds":60,
		"notification":{"title":"","message":"","resourceID":""},
		"callConfig":{"canInvitingInCalling":false,"onlyInitiatorCanInvite":false,"endCallWhenInitiatorLeave":false}}`,
		omitZero: []string{"customData"}},
	{name: "minimal", typ: TypeInvite, json: `{"invitees":[{"id":"bob"},{"id":"carol","name":"Carol"}],"type":"voice"}`},
	{typ: TypeCancel, json: `{"callID":"c1","userIDs":["bob"],"customData":"never mind"}`},
	{name: "all", typ: TypeCancel, json: `{"callID":"c1"}`},
	{typ: TypeAccept, json: `{"callID":"c1","customData":"on my way"}`},
	{typ: TypeReject, json: `{"callID":"c1","customData":"later","reason":"declined"}`},
	{name: "busy", typ: TypeReject, json: `{"callID":"c1","customData":"","reason":"busy"}`, omitZero: []string{"customData"}},
	{typ: TypeJoin, json: `{"callID":"c1","type":"video","callConfig":{"canInvitingInCalling":true,"onlyInitiatorCanInvite":false,"endCallWhenInitiatorLeave":true}}`},
	{name: "existing", typ: TypeJoin, json: `{"callID":"c1"}`},
	{typ: TypeLeave, json: `{"callID":"c1"}`},
	{typ: TypeRemove, json: `{"callID":"c1","userIDs":["bob"]}`},
	{typ: TypeSetDevice, json: `{"callID":"c1","camera":false,"microphone":true,"audioRoute":"bluetooth"}`},
	{name: "one field", typ: TypeSetDevice, json: `{"callID":"c1","audioRoute":"airplay"}`},
	{typ: TypeSetRemoteDevice, json: `{"callID":"c1","userID":"bob","camera":false,"microphone":true}`},
	{typ: TypeOffer, json: `{"callID":"c1","target":"publisher","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n",
		"tracks":[{"mid":"0","source":"camera"},{"mid":"1","source":"microphone"},{"mid":"2","source":"screen"}]}`},
	{typ: TypeAnswer, json: `{"callID":"c1","target":"subscriber","sdp":"v=0\r\n"}`},
	{typ: TypeTrickle, json: `{"callID":"c1","target":"publisher","candidate":{"candidate":"candidate:1 1 udp 2130706431 192.0.2.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0}}`},
	{name: "end of candidates", typ: TypeTrickle, json: `{"callID":"c1","target":"subscriber","candidate":null}`},
	{typ: TypeSubscribe, json: `{"callID":"c1","trackID":"t1","quality":"low"}`},
	{name: "off", typ: TypeSubscribe, json: `{"callID":"c1","trackID":"t1","quality":"off"}`},
	{typ: TypeMediaReset, json: `{"callID":"c1"}`},
	{typ: TypeCallHistory, json: `{"limit":20,"before":"2026-01-02T03:04:05.000Z"}`},
	{typ: TypeCallHistory, name: "first page", json: `{}`},
	{typ: TypeMarkMissedSeen, json: `{}`},
	{typ: TypeRegisterPush, json: `{"provider":"apns","token":"0a1b2c","voip":true,"appID":"com.example.app","locale":"de-DE"}`},
	{typ: TypeRegisterPush, name: "fcm", json: `{"provider":"fcm","token":"fcm:tok-1","appID":"com.example.app"}`},
	{typ: TypeRegisterPush, name: "webpush", json: `{"provider":"webpush","subscription":{"endpoint":"https://push.example/s/1",
		"keys":{"p256dh":"BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM","auth":"tBHItJI5svbpez7KI4CCXg"}}}`},
	{typ: TypeUnregisterPush, json: `{"registrationID":"pr_1"}`},
	{typ: TypeUnregisterPush, name: "this device", json: `{}`},
}

const (
	userAlice = `{"id":"alice","name":"Alice"}`
	userBob   = `{"id":"bob","name":"Bob"}`
	trackJSON = `{"trackID":"t1","kind":"video","source":"camera","muted":false,"simulcast":["q","h","f"]}`
)

// eventExamples covers every server → client event (§3–§6).
var eventExamples = []contractExample{
	{typ: TypeIncomingCall, json: `{"callID":"c1","invitationID":"inv_1","caller":` + userAlice + `,"type":"video",
		"invitees":[` + userBob + `],"customData":"","timeoutSeconds":60,"expiresAt":"2026-01-02T03:04:05Z"}`},
	{typ: TypeIncomingCallCanceled, json: `{"callID":"c1","caller":` + userAlice + `,"customData":"","reason":"canceled"}`},
	{name: "callerGone", typ: TypeIncomingCallCanceled, json: `{"callID":"c1","caller":` + userAlice + `,"customData":"x","reason":"callerGone"}`},
	{typ: TypeIncomingCallTimeout, json: `{"callID":"c1","caller":` + userAlice + `}`},
	{typ: TypeIncomingCallAnsweredElsewhere, json: `{"callID":"c1","answer":"accepted"}`},
	{typ: TypeOutgoingCallAccepted, json: `{"callID":"c1","callee":` + userBob + `,"customData":"hi"}`},
	{typ: TypeOutgoingCallDeclined, json: `{"callID":"c1","callee":` + userBob + `,"customData":""}`},
	{typ: TypeOutgoingCallRejectedCauseBusy, json: `{"callID":"c1","callee":` + userBob + `,"customData":""}`},
	{typ: TypeOutgoingCallTimeout, json: `{"callID":"c1","callees":[` + userBob + `],"type":"voice"}`},
	{typ: TypeInvitationStateChanged, json: `{"callID":"c1","users":[{"user":` + userBob + `,"state":"waiting","received":false},
		{"user":{"id":"carol","name":"carol"},"state":"declined","received":true}]}`},
	{typ: TypeCallEnded, json: `{"callID":"c1","reason":"noAnswer"}`},
	{typ: TypeUserJoined, json: `{"callID":"c1","user":` + userBob + `}`},
	{typ: TypeUserLeft, json: `{"callID":"c1","user":` + userBob + `,"reason":"left"}`},
	{typ: TypeRemoved, json: `{"callID":"c1","by":` + userAlice + `}`},
	{typ: TypeDeviceState, json: `{"callID":"c1","userID":"bob","camera":true,"microphone":false,"audioRoute":"speaker"}`},
	{typ: TypeDeviceControlled, json: `{"callID":"c1","by":` + userAlice + `,"camera":false}`},
	{name: "both", typ: TypeDeviceControlled, json: `{"callID":"c1","by":` + userAlice + `,"camera":false,"microphone":false}`},
	{typ: TypeDeviceRequest, json: `{"callID":"c1","by":` + userAlice + `,"microphone":true}`},
	{typ: TypeOffer, json: `{"callID":"c1","target":"subscriber","sdp":"v=0\r\n"}`},
	{typ: TypeTrickle, json: `{"callID":"c1","target":"subscriber","candidate":{"candidate":"candidate:2 1 udp 2130706431 127.0.0.1 40000 typ host","sdpMid":"0","sdpMLineIndex":0}}`},
	{name: "end of candidates", typ: TypeTrickle, json: `{"callID":"c1","target":"publisher","candidate":null}`},
	{typ: TypeTracks, json: `{"callID":"c1","userID":"bob","tracks":[` + trackJSON + `,
		{"trackID":"t2","kind":"audio","source":"microphone","muted":true,"simulcast":[]}]}`},
	{name: "no tracks", typ: TypeTracks, json: `{"callID":"c1","userID":"bob","tracks":[]}`},
	{typ: TypeMediaReset, json: `{"callID":"c1","reason":"peerFailed"}`},
	{name: "ownerChanged", typ: TypeMediaReset, json: `{"callID":"c1","reason":"ownerChanged"}`},
	{typ: TypePublisherLayers, json: `{"callID":"c1","trackID":"TR_1","mid":"0","active":["q","f"]}`},
}

// callStateJSON is a CallState (§5).
const callStateJSON = `{"callID":"c1","type":"video","initiator":` + userAlice + `,
	"config":{"canInvitingInCalling":false,"onlyInitiatorCanInvite":false,"endCallWhenInitiatorLeave":false},
	"members":[{"user":` + userAlice + `,"camera":true,"microphone":true,"audioRoute":"speaker","tracks":[` + trackJSON + `]},
		{"user":` + userBob + `,"camera":false,"microphone":true,"audioRoute":"earpiece","tracks":[]}],
	"invitees":[{"user":` + userBob + `,"state":"accepted","received":true}],"startedAt":"2026-01-02T03:04:05Z"}`

// resultExamples covers the result bodies: their structs are not in a
// registry, so each names its own.
var resultExamples = []struct {
	name string
	mk   func() any
	json string
}{
	{"hello", func() any { return new(HelloResult) }, `{"sessionId":"s_abc","resumed":false,"user":` + userAlice + `,
		"iceServers":[{"urls":["stun:stun.example.org:3478"]},{"urls":["turn:turn.example.org"],"username":"u","credential":"p"}],
		"pendingInvitations":[` + eventExamples[0].json + `],"call":null}`},
	{"hello resumed in call", func() any { return new(HelloResult) }, `{"sessionId":"s_abc","resumed":true,"user":` + userAlice + `,
		"iceServers":[],"pendingInvitations":[],"call":` + callStateJSON + `}`},
	{"invite", func() any { return new(InviteResult) }, `{"callID":"c1","invitationID":"inv_1",
		"invitees":[{"user":` + userBob + `,"state":"waiting","skipped":false},{"user":{"id":"carol","name":"carol"},"state":"busy","skipped":false}]}`},
	{"invite merged", func() any { return new(InviteResult) }, `{"callID":"c1","invitationID":"inv_1","invitees":[],"merged":true}`},
	{"call state", func() any { return new(CallState) }, callStateJSON},
	{"offer", func() any { return new(SDPResult) }, `{"sdp":"v=0\r\n"}`},
	{"hello with missed calls", func() any { return new(HelloResult) }, `{"sessionId":"s_abc","resumed":false,"user":` + userAlice + `,
		"iceServers":[],"pendingInvitations":[],"call":null,"missedCalls":2}`},
	{"callHistory", func() any { return new(CallHistoryResult) }, `{"entries":[{"callID":"c1","type":"video","direction":"incoming",
		"outcome":"missed","peers":[` + userAlice + `],"startedAt":"2026-01-02T03:04:05.000Z","duration":0,"seen":false}],
		"nextBefore":"2026-01-02T03:04:05.000Z","missedCalls":1}`},
	{"markMissedSeen", func() any { return new(MarkMissedSeenResult) }, `{"missedCalls":0}`},
	{"registerPush", func() any { return new(RegisterPushResult) }, `{"registrationID":"pr_0123456789abcdef01234567"}`},
	{"unregisterPush", func() any { return new(UnregisterPushResult) }, `{"removed":1}`},
}

// roundTrip decodes js into v (refusing fields the struct does not know),
// re-encodes it and returns both as generic JSON.
func roundTrip(t *testing.T, what, js string, v any) (want, got any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(js)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: decode %T: %v", what, v, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: encode: %v", what, err)
	}
	if err := json.Unmarshal([]byte(js), &want); err != nil {
		t.Fatalf("%s: example is not JSON: %v", what, err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	return want, got
}

// contains checks that every field of want is in got with the same value;
// top-level fields in omitZero may be missing when want holds a zero value.
func contains(t *testing.T, what, path string, want, got any, omitZero []string) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: %s: want object, got %#v", what, path, got)
			return
		}
		for k, wv := range w {
			gv, has := g[k]
			if !has {
				if path == "" && isZeroJSON(wv) && inList(omitZero, k) {
					continue
				}
				t.Errorf("%s: field %s%s lost on re-encode", what, path, k)
				continue
			}
			contains(t, what, path+k+".", wv, gv, nil)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: %s: want %d-element array, got %#v", what, path, len(w), got)
			return
		}
		for i := range w {
			contains(t, what, fmt.Sprintf("%s%d.", path, i), w[i], g[i], nil)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: %s: want %#v, got %#v", what, path, want, got)
		}
	}
}

func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case float64:
		return x == 0
	}
	return false
}

func inList(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func exampleName(e contractExample) string {
	if e.name == "" {
		return e.typ
	}
	return e.typ + "/" + e.name
}

func TestContractRequestsRoundTrip(t *testing.T) {
	kinds := requestKinds()
	covered := map[string]bool{}
	for _, e := range requestExamples {
		name := exampleName(e)
		mk, ok := kinds[e.typ]
		if !ok {
			t.Fatalf("%s: not in requestKinds", name)
		}
		covered[e.typ] = true
		want, got := roundTrip(t, name, e.json, mk())
		contains(t, name, "", want, got, e.omitZero)
		// Every contract example is a valid request.
		if _, err := decodeRequest(e.typ, json.RawMessage(e.json), kinds); err != nil {
			t.Errorf("%s: contract example refused: %v", name, err)
		}
		// And so is the whole message with its envelope.
		msg := `{"id":"r17","type":"` + e.typ + `","data":` + e.json + `}`
		env, ok := parseEnvelope([]byte(msg))
		if !ok || env.id == nil || *env.id != "r17" || !env.typeOK || env.typ != e.typ {
			t.Errorf("%s: envelope %+v", name, env)
		}
	}
	for typ := range kinds {
		if !covered[typ] {
			t.Errorf("request %s has no contract example", typ)
		}
	}
}

func TestContractEventsRoundTrip(t *testing.T) {
	kinds := EventKinds()
	covered := map[string]bool{}
	for _, e := range eventExamples {
		name := exampleName(e)
		mk, ok := kinds[e.typ]
		if !ok {
			t.Fatalf("%s: not in EventKinds", name)
		}
		covered[e.typ] = true
		v := mk()
		want, got := roundTrip(t, name, e.json, v)
		contains(t, name, "", want, got, nil)
		// Encoded as the server does, the event carries no id and its body
		// survives.
		msg, err := encodeEvent(e.typ, v)
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(msg, &top); err != nil {
			t.Fatal(err)
		}
		if _, has := top["id"]; has || string(top["type"]) != `"`+e.typ+`"` || len(top) != 2 {
			t.Errorf("%s: event envelope %s", name, msg)
		}
	}
	for typ := range kinds {
		if !covered[typ] {
			t.Errorf("event %s has no contract example", typ)
		}
	}
}

func TestContractDeviceControlCarriesOnlyConcernedFields(t *testing.T) {
	f := false
	b, err := json.Marshal(DeviceControl{CallID: "c1", By: User{ID: "alice", Name: "Alice"}, Camera: &f})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"callID":"c1","by":{"id":"alice","name":"Alice"},"camera":false}`; string(b) != want {
		t.Fatalf("deviceControlled: %s, want %s", b, want)
	}
}

func TestContractResultsRoundTrip(t *testing.T) {
	for _, r := range resultExamples {
		want, got := roundTrip(t, r.name, r.json, r.mk())
		contains(t, r.name, "", want, got, nil)
	}
	// An empty result (accept of nothing, leave, setDevice …) is {}.
	b, err := json.Marshal(wireResult(nil))
	if err != nil || string(b) != "{}" {
		t.Fatalf("empty result: %s %v", b, err)
	}
	// A HelloResult built with empty lists keeps them arrays, and call null.
	b, err = json.Marshal(HelloResult{SessionID: "s", ICEServers: []ICEServer{}, PendingInvitations: []IncomingCall{}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"sessionId":"s","resumed":false,"user":{"id":"","name":""},"iceServers":[],"pendingInvitations":[],"call":null,"missedCalls":0}`; string(b) != want {
		t.Fatalf("hello result: %s", b)
	}
}

func TestContractEnvelopes(t *testing.T) {
	for _, js := range []string{
		`{"id":"r17","type":"invite","data":{"invitees":[{"id":"bob","name":"Bob"}],"type":"video"}}`,
		`{"id":"r17","type":"result","data":{"callID":"c1"}}`,
		`{"id":"r17","type":"error","error":{"code":"not_permitted","message":"only the initiator can invite"}}`,
		`{"type":"incomingCall","data":{"callID":"c1"}}`,
		`{"type":"error","error":{"code":"bad_request","message":"malformed JSON message"}}`,
		`{"id":"p","type":"pong"}`,
		`{"type":"pong"}`,
		`{"id":"","type":"ping"}`,
	} {
		var env Envelope
		if err := json.Unmarshal([]byte(js), &env); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, js, string(b)) {
			t.Errorf("envelope %s re-encoded as %s", js, b)
		}
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func TestRegistriesCoverEveryType(t *testing.T) {
	requests := []string{TypeHello, TypePing, TypeInvite, TypeCancel, TypeAccept, TypeReject, TypeJoin,
		TypeLeave, TypeRemove, TypeSetDevice, TypeSetRemoteDevice, TypeOffer, TypeAnswer, TypeTrickle, TypeSubscribe, TypeMediaReset,
		TypeCallHistory, TypeMarkMissedSeen, TypeRegisterPush, TypeUnregisterPush}
	events := []string{TypeIncomingCall, TypeIncomingCallCanceled, TypeIncomingCallTimeout,
		TypeIncomingCallAnsweredElsewhere, TypeOutgoingCallAccepted, TypeOutgoingCallDeclined,
		TypeOutgoingCallRejectedCauseBusy, TypeOutgoingCallTimeout, TypeInvitationStateChanged, TypeCallEnded,
		TypeUserJoined, TypeUserLeft, TypeRemoved, TypeDeviceState, TypeDeviceControlled, TypeDeviceRequest,
		TypeOffer, TypeTrickle, TypeTracks, TypeMediaReset, TypePublisherLayers}
	// The contract's spelling, checked literally once.
	spelled := map[string]string{
		TypeHello: "hello", TypeSetRemoteDevice: "setRemoteDevice", TypeIncomingCallAnsweredElsewhere: "incomingCallAnsweredElsewhere",
		TypeOutgoingCallRejectedCauseBusy: "outgoingCallRejectedCauseBusy", TypeInvitationStateChanged: "invitationStateChanged",
		TypeDeviceControlled: "deviceControlled", TypeMediaReset: "mediaReset", TypePublisherLayers: "publisherLayers",
		TypeCallHistory: "callHistory", TypeMarkMissedSeen: "markMissedSeen",
		TypeRegisterPush: "registerPush", TypeUnregisterPush: "unregisterPush", TypeResult: "result", TypeError: "error", TypePong: "pong",
	}
	for c, lit := range spelled {
		if c != lit {
			t.Errorf("type constant %q, contract spells %q", c, lit)
		}
	}
	check := func(what string, want []string, got []string) {
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s registry: %v, want exactly %v", what, got, want)
		}
	}
	var rk, ek []string
	for k, mk := range requestKinds() {
		rk = append(rk, k)
		if mk() == nil {
			t.Errorf("request %s: nil constructor result", k)
		}
	}
	for k, mk := range EventKinds() {
		ek = append(ek, k)
		if v := mk(); v == nil || reflect.TypeOf(v).Kind() != reflect.Pointer {
			t.Errorf("event %s: constructor returns %T", k, v)
		}
	}
	check("request", requests, rk)
	check("event", events, ek)
	for _, server := range []string{TypeResult, TypeError, TypePong} {
		if _, ok := requestKinds()[server]; ok {
			t.Errorf("server-only type %s is accepted as a request", server)
		}
	}
	// Each constructor returns a fresh value.
	for k, mk := range requestKinds() {
		if a, b := mk(), mk(); reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() && reflect.TypeOf(a).Elem().Size() > 0 {
			t.Errorf("request %s: constructor shares its value", k)
		}
	}
}

func TestCloseCodesAndErrorCodes(t *testing.T) {
	codes := map[int]int{CloseGoingAway: 1001, CloseTooLarge: 1009, CloseUnauthorized: 4001,
		CloseBadProtocol: 4002, CloseRateLimited: 4008, CloseSessionTakenBy: 4009}
	for got, want := range codes {
		if got != want {
			t.Errorf("close code %d, want %d", got, want)
		}
	}
	for _, c := range [][2]string{{CodeBadRequest, "bad_request"}, {CodeUnauthorized, "unauthorized"},
		{CodeNotFound, "not_found"}, {CodeNotPermitted, "not_permitted"}, {CodeBusy, "busy"},
		{CodeConflict, "conflict"}, {CodeRateLimited, "rate_limited"}, {CodeTooLarge, "too_large"},
		{CodeUnavailable, "unavailable"}, {CodeInternal, "internal"}} {
		if c[0] != c[1] {
			t.Errorf("error code %q, want %q", c[0], c[1])
		}
	}
	if MaxMessageBytes != 65536 || ProtocolVersion != 1 {
		t.Fatal("limits changed")
	}
}
