package signaling_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringsfu/ringsfu/signaling"
)

// claims returns valid claims for user, expiring in an hour.
func claims(user string) jwt.MapClaims {
	return jwt.MapClaims{"app": testApp, "sub": user, "name": "Name-of-" + user, "exp": time.Now().Add(time.Hour).Unix()}
}

// sign signs claims HS256 with secret.
func sign(t *testing.T, c jwt.MapClaims, secret string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// helloMsg builds a hello with the given data.
func helloMsg(id string, data map[string]any) map[string]any {
	return req(id, "hello", data)
}

// expectRefused checks that the next message is error code (with id, ""
// for none) followed by close with code.
func expectRefused(t *testing.T, rc *rawConn, code, id string, closeCode int) {
	t.Helper()
	msgs, got := rc.waitClose()
	if got != closeCode {
		t.Fatalf("want close %d, got %d (messages %v)", closeCode, got, msgs)
	}
	if len(msgs) != 1 {
		t.Fatalf("want exactly one error before close, got %v", msgs)
	}
	checkError(t, msgs[0], code, id)
}

func TestHelloResultShape(t *testing.T) {
	h := newHarness(t)
	rc := h.raw()
	rc.sendJSON(helloMsg("h1", map[string]any{"token": h.token("alice", "Alice"), "protocol": 1, "deviceId": "tab-3f2a"}))
	raw := rc.next()
	var env map[string]json.RawMessage
	mustOK(t, json.Unmarshal(raw, &env))
	if string(env["id"]) != `"h1"` || string(env["type"]) != `"result"` {
		t.Fatalf("hello reply: %s", raw)
	}
	var data map[string]json.RawMessage
	mustOK(t, json.Unmarshal(env["data"], &data))
	for _, k := range []string{"sessionId", "resumed", "user", "iceServers", "pendingInvitations", "call"} {
		if _, ok := data[k]; !ok {
			t.Fatalf("hello result lacks %q: %s", k, raw)
		}
	}
	var sid string
	mustOK(t, json.Unmarshal(data["sessionId"], &sid))
	if !strings.HasPrefix(sid, "s_") || len(sid) < 10 {
		t.Fatalf("sessionId %q", sid)
	}
	checks := map[string]string{"resumed": "false", "iceServers": "[]", "pendingInvitations": "[]", "call": "null",
		"user": `{"id":"alice","name":"Alice"}`}
	for k, want := range checks {
		if got := string(data[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	// Signed in: requests work now.
	rc.ping("after-hello")
}

func TestHelloResultListsConfiguredICEServersAndPending(t *testing.T) {
	ice := []signaling.ICEServer{{URLs: []string{"stun:stun.example.org:3478"}},
		{URLs: []string{"turn:turn.example.org"}, Username: "u", Credential: "p"}}
	h := newHarness(t, func(c *signaling.Config) { c.ICEServers = ice })
	alice := h.dial("alice")
	res := invite(t, alice, "video", "bob")
	rc := h.raw()
	data := rc.hello(h.token("bob", "Bob"), "d1")
	servers, _ := data["iceServers"].([]any)
	if len(servers) != 2 {
		t.Fatalf("iceServers: %v", data["iceServers"])
	}
	b, _ := json.Marshal(servers)
	var got []signaling.ICEServer
	mustOK(t, json.Unmarshal(b, &got))
	if got[0].URLs[0] != ice[0].URLs[0] || got[1].Username != "u" || got[1].Credential != "p" {
		t.Fatalf("iceServers: %s", b)
	}
	pend, _ := data["pendingInvitations"].([]any)
	if len(pend) != 1 {
		t.Fatalf("pendingInvitations: %v", data["pendingInvitations"])
	}
	p := pend[0].(map[string]any)
	if p["callID"] != res.CallID || p["invitationID"] != res.InvitationID || p["timeoutSeconds"].(float64) < 59 {
		t.Fatalf("pending invitation: %v", p)
	}
	// Delivered once: no incomingCall follows the hello result.
	if extra := rc.ping("p"); len(extra) != 0 {
		for _, m := range extra {
			if m["type"] == "incomingCall" {
				t.Fatalf("incomingCall after pendingInvitations: %v", extra)
			}
		}
	}
}

func TestHelloName(t *testing.T) {
	h := newHarness(t)
	// The name comes from the token.
	rc := h.raw()
	data := rc.hello(h.token("alice", "Alice Liddell ✨"), "d1")
	if u := data["user"].(map[string]any); u["id"] != "alice" || u["name"] != "Alice Liddell ✨" {
		t.Fatalf("user: %v", u)
	}
	// A token without name: the name is the id.
	c := claims("bob")
	delete(c, "name")
	rc = h.raw()
	data = rc.hello(sign(t, c, testSecret), "d1")
	if u := data["user"].(map[string]any); u["id"] != "bob" || u["name"] != "bob" {
		t.Fatalf("user without name: %v", u)
	}
	// An empty name is no name.
	c = claims("carol")
	c["name"] = ""
	rc = h.raw()
	data = rc.hello(sign(t, c, testSecret), "d1")
	if u := data["user"].(map[string]any); u["name"] != "carol" {
		t.Fatalf("user with empty name: %v", u)
	}
	// 128 code points is the longest allowed name.
	c = claims("dave")
	c["name"] = strings.Repeat("ß", 128)
	rc = h.raw()
	data = rc.hello(sign(t, c, testSecret), "d1")
	if u := data["user"].(map[string]any); u["name"] != strings.Repeat("ß", 128) {
		t.Fatalf("user with 128-char name: %v", u)
	}
}

func TestHelloNonHelloFirst(t *testing.T) {
	h := newHarness(t)
	for _, m := range []map[string]any{
		req("r1", "ping", nil),
		req("r2", "invite", map[string]any{"type": "video", "invitees": []any{map[string]any{"id": "bob"}}}),
		req("r3", "dance", nil),
		req("r4", "result", nil),
	} {
		rc := h.raw()
		rc.sendJSON(m)
		expectRefused(t, rc, signaling.CodeUnauthorized, m["id"].(string), signaling.CloseUnauthorized)
	}
	// Without id: the error has no id key.
	rc := h.raw()
	rc.send(`{"type":"ping"}`)
	expectRefused(t, rc, signaling.CodeUnauthorized, "", signaling.CloseUnauthorized)
	// A type that is not a string.
	rc = h.raw()
	rc.send(`{"id":"t","type":1}`)
	expectRefused(t, rc, signaling.CodeUnauthorized, "t", signaling.CloseUnauthorized)
}

func TestHelloMalformedFirst(t *testing.T) {
	h := newHarness(t)
	for _, bad := range []string{`{`, `hello`, `[{"type":"hello"}]`, `null`, `""`, `{"id":"x","type":"hello"`} {
		rc := h.raw()
		rc.send(bad)
		expectRefused(t, rc, signaling.CodeUnauthorized, "", signaling.CloseUnauthorized)
	}
}

func TestHelloProtocolField(t *testing.T) {
	h := newHarness(t)
	tok := h.token("alice", "Alice")
	refused := []struct {
		name string
		data map[string]any
	}{
		{"missing protocol", map[string]any{"token": tok, "deviceId": "d1"}},
		{"protocol string", map[string]any{"token": tok, "protocol": "1", "deviceId": "d1"}},
		{"protocol null", map[string]any{"token": tok, "protocol": nil, "deviceId": "d1"}},
		{"protocol bool", map[string]any{"token": tok, "protocol": true, "deviceId": "d1"}},
		{"protocol object", map[string]any{"token": tok, "protocol": map[string]any{"v": 1}, "deviceId": "d1"}},
	}
	for _, c := range refused {
		rc := h.raw()
		rc.sendJSON(helloMsg("h", c.data))
		t.Run(c.name, func(t *testing.T) {
			expectRefused(t, rc, signaling.CodeUnauthorized, "h", signaling.CloseUnauthorized)
		})
	}
	for _, v := range []int{2, 0, -1, 100} {
		rc := h.raw()
		rc.sendJSON(helloMsg("h2", map[string]any{"token": tok, "protocol": v, "deviceId": "d1"}))
		msgs, code := rc.waitClose()
		if code != signaling.CloseBadProtocol || len(msgs) != 1 {
			t.Fatalf("protocol %d: close %d, messages %v", v, code, msgs)
		}
		checkError(t, msgs[0], signaling.CodeBadRequest, "h2")
		msg := msgs[0]["error"].(map[string]any)["message"].(string)
		if !strings.Contains(msg, "supported") || !strings.Contains(msg, "1") {
			t.Fatalf("protocol %d: error does not name the supported versions: %q", v, msg)
		}
	}
	// A present, well-typed, unsupported protocol is 4002 even with an
	// otherwise incomplete hello.
	rc := h.raw()
	rc.sendJSON(helloMsg("h3", map[string]any{"protocol": 2}))
	expectRefused(t, rc, signaling.CodeBadRequest, "h3", signaling.CloseBadProtocol)
}

func TestHelloBadTokens(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	without := func(user, key string) jwt.MapClaims {
		c := claims(user)
		delete(c, key)
		return c
	}
	with := func(user, key string, v any) jwt.MapClaims {
		c := claims(user)
		c[key] = v
		return c
	}
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claims("alice")).SignedString([]byte(testSecret))
	mustOK(t, err)
	hs384, err := jwt.NewWithClaims(jwt.SigningMethodHS384, claims("alice")).SignedString([]byte(testSecret))
	mustOK(t, err)
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims("alice")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	mustOK(t, err)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	mustOK(t, err)
	rs256, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims("alice")).SignedString(key)
	mustOK(t, err)
	// Key confusion: header says RS256, signature is an HMAC with the secret.
	confused := hmacWithHeader(t, `{"alg":"RS256","typ":"JWT"}`, claims("alice"))
	noneLower := unsignedWithHeader(t, `{"alg":"none","typ":"JWT"}`, claims("alice"))
	noneUpper := unsignedWithHeader(t, `{"alg":"NONE","typ":"JWT"}`, claims("alice"))
	good := sign(t, claims("alice"), testSecret)
	tampered := good[:strings.LastIndexByte(good, '.')] + "." + flipLast(good[strings.LastIndexByte(good, '.')+1:])
	refused := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not-a-jwt"},
		{"bad signature", sign(t, claims("alice"), "other-secret")},
		{"tampered signature", tampered},
		{"wrong app", sign(t, with("alice", "app", "otherapp"), testSecret)},
		{"app as number", sign(t, with("alice", "app", 5), testSecret)},
		{"alg none", none},
		{"alg none handmade", noneLower},
		{"alg NONE", noneUpper},
		{"HS512", hs512},
		{"HS384", hs384},
		{"RS256", rs256},
		{"RS256 header with HMAC", confused},
		{"missing exp", sign(t, without("alice", "exp"), testSecret)},
		{"exp as string", sign(t, with("alice", "exp", "tomorrow"), testSecret)},
		{"missing sub", sign(t, without("alice", "sub"), testSecret)},
		{"missing app", sign(t, without("alice", "app"), testSecret)},
		{"sub with space", sign(t, with("alice", "sub", "al ice"), testSecret)},
		{"sub with slash", sign(t, with("alice", "sub", "al/ice"), testSecret)},
		{"sub non-ascii", sign(t, with("alice", "sub", "alíce"), testSecret)},
		{"sub 65 chars", sign(t, with("alice", "sub", strings.Repeat("a", 65)), testSecret)},
		{"name 129 code points", sign(t, with("alice", "name", strings.Repeat("é", 129)), testSecret)},
		{"name with newline", sign(t, with("alice", "name", "Al\nice"), testSecret)},
		{"name with bell", sign(t, with("alice", "name", "Al\u0007ice"), testSecret)},
		{"name with DEL", sign(t, with("alice", "name", "Al\u007fice"), testSecret)},
		{"name with C1 control", sign(t, with("alice", "name", "Al\u0085ice"), testSecret)},
		{"call claim invalid", sign(t, with("alice", "call", "bad call"), testSecret)},
		{"expired by 40 s", sign(t, with("alice", "exp", now.Add(-40*time.Second).Unix()), testSecret)},
		{"not before in the future", sign(t, with("alice", "nbf", now.Add(time.Hour).Unix()), testSecret)},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			rc := h.raw()
			rc.sendJSON(helloMsg("h", map[string]any{"token": c.token, "protocol": 1, "deviceId": "d1"}))
			expectRefused(t, rc, signaling.CodeUnauthorized, "h", signaling.CloseUnauthorized)
		})
	}
	// Within the 30 s leeway a token is still accepted.
	rc := h.raw()
	data := rc.hello(sign(t, with("alice", "exp", now.Add(-20*time.Second).Unix()), testSecret), "d1")
	if data["user"].(map[string]any)["id"] != "alice" {
		t.Fatalf("hello with token expired 20 s ago: %v", data)
	}
	// Mint's tokens pass; a 64-char sub is allowed.
	rc = h.raw()
	data = rc.hello(h.token(strings.Repeat("a", 64), ""), "d1")
	if data["user"].(map[string]any)["id"] != strings.Repeat("a", 64) {
		t.Fatalf("hello with 64-char sub: %v", data)
	}
}

// hmacWithHeader signs claims HS256 with the test secret under a forged
// header.
func hmacWithHeader(t *testing.T, header string, c jwt.MapClaims) string {
	t.Helper()
	signing := b64(header) + "." + b64json(t, c)
	sig, err := jwt.SigningMethodHS256.Sign(signing, []byte(testSecret))
	mustOK(t, err)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// unsignedWithHeader builds a token with an empty signature.
func unsignedWithHeader(t *testing.T, header string, c jwt.MapClaims) string {
	t.Helper()
	return b64(header) + "." + b64json(t, c) + "."
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	mustOK(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// flipLast changes the last significant character of a base64url string.
func flipLast(s string) string {
	// The first character carries 6 full bits, so changing it always
	// changes the decoded signature.
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestHelloDeviceID(t *testing.T) {
	h := newHarness(t)
	tok := h.token("alice", "Alice")
	for _, c := range []struct {
		name string
		dev  any
		omit bool
	}{
		{name: "missing", omit: true},
		{name: "empty", dev: ""},
		{name: "space", dev: "tab 1"},
		{name: "65 chars", dev: strings.Repeat("d", 65)},
		{name: "number", dev: 7},
		{name: "unicode", dev: "täb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := map[string]any{"token": tok, "protocol": 1}
			if !c.omit {
				data["deviceId"] = c.dev
			}
			rc := h.raw()
			rc.sendJSON(helloMsg("h", data))
			expectRefused(t, rc, signaling.CodeUnauthorized, "h", signaling.CloseUnauthorized)
		})
	}
	rc := h.raw()
	rc.hello(tok, strings.Repeat("d", 64))
}

func TestHelloMissingOrIllTypedFields(t *testing.T) {
	h := newHarness(t)
	tok := h.token("alice", "Alice")
	for _, c := range []struct {
		name string
		msg  string
	}{
		{"no data", `{"id":"h","type":"hello"}`},
		{"data null", `{"id":"h","type":"hello","data":null}`},
		{"data string", `{"id":"h","type":"hello","data":"x"}`},
		{"token missing", `{"id":"h","type":"hello","data":{"protocol":1,"deviceId":"d1"}}`},
		{"token number", `{"id":"h","type":"hello","data":{"token":1,"protocol":1,"deviceId":"d1"}}`},
		{"resume number", `{"id":"h","type":"hello","data":{"token":"` + tok + `","protocol":1,"deviceId":"d1","resume":5}}`},
		{"protocol 1.5", `{"id":"h","type":"hello","data":{"token":"` + tok + `","protocol":1.5,"deviceId":"d1"}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := h.raw()
			rc.send(c.msg)
			expectRefused(t, rc, signaling.CodeUnauthorized, "h", signaling.CloseUnauthorized)
		})
	}
	// A non-string id before hello: unauthorized without id.
	rc := h.raw()
	rc.send(`{"id":17,"type":"hello","data":{"token":"` + tok + `","protocol":1,"deviceId":"d1"}}`)
	expectRefused(t, rc, signaling.CodeUnauthorized, "", signaling.CloseUnauthorized)
}

func TestHelloLongEnvelopeID(t *testing.T) {
	h := newHarness(t)
	tok := h.token("alice", "Alice")
	rc := h.raw()
	rc.sendJSON(helloMsg(strings.Repeat("x", 65), map[string]any{"token": tok, "protocol": 1, "deviceId": "d1"}))
	expectRefused(t, rc, signaling.CodeUnauthorized, "", signaling.CloseUnauthorized)
	// Also for a message that is not a hello.
	rc = h.raw()
	rc.sendJSON(req(strings.Repeat("x", 65), "ping", nil))
	expectRefused(t, rc, signaling.CodeUnauthorized, "", signaling.CloseUnauthorized)
	// 64 is fine.
	rc = h.raw()
	id := strings.Repeat("x", 64)
	rc.sendJSON(helloMsg(id, map[string]any{"token": tok, "protocol": 1, "deviceId": "d1"}))
	if m := rc.nextMap(); m["type"] != "result" || m["id"] != id {
		t.Fatalf("hello with 64-char id: %v", m)
	}
}

func TestHelloTimeout(t *testing.T) {
	const helloTimeout = 300 * time.Millisecond
	h := newHarness(t, func(c *signaling.Config) { c.HelloTimeout = helloTimeout })
	start := time.Now()
	rc := h.raw()
	expectRefused(t, rc, signaling.CodeUnauthorized, "", signaling.CloseUnauthorized)
	if el := time.Since(start); el < helloTimeout {
		t.Fatalf("closed after %v, before HelloTimeout", el)
	}
	// A connection that signs in in time is not closed by the timer: let
	// twice the HelloTimeout pass (asserting an absence needs the time to
	// pass), then it must still answer.
	opened := time.Now()
	ok := h.raw()
	ok.hello(h.token("alice", "A"), "d1")
	for time.Since(opened) < 2*helloTimeout {
		runtimeYield()
	}
	if extra := ok.ping("later"); len(extra) != 0 {
		t.Fatalf("unexpected messages: %v", extra)
	}
}

func TestHelloSecondHello(t *testing.T) {
	h := newHarness(t)
	rc := h.signedIn("alice")
	rc.sendJSON(helloMsg("again", map[string]any{"token": h.token("alice", "A"), "protocol": 1, "deviceId": "d1"}))
	rc.expectError(signaling.CodeBadRequest, "again")
	// Even a hello for another user or protocol changes nothing.
	rc.sendJSON(helloMsg("other", map[string]any{"token": h.token("mallory", "M"), "protocol": 2, "deviceId": "d2"}))
	rc.expectError(signaling.CodeBadRequest, "other")
	rc.ping("still-open")
	if !rc.isOpen() {
		t.Fatal("closed after a second hello")
	}
	// Still alice: a join shows her as the member.
	rc.sendJSON(req("j", "join", map[string]any{"callID": "c", "type": "voice"}))
	m := rc.nextMap()
	members := m["data"].(map[string]any)["members"].([]any)
	if u := members[0].(map[string]any)["user"].(map[string]any); u["id"] != "alice" {
		t.Fatalf("member: %v", u)
	}
}

func TestHelloWithoutID(t *testing.T) {
	h := newHarness(t)
	rc := h.raw()
	rc.sendJSON(map[string]any{"type": "hello", "data": map[string]any{"token": h.token("alice", "A"), "protocol": 1, "deviceId": "d1"}})
	// No reply to the hello itself; the ping proves the sign-in (before it,
	// a ping would be refused with 4001).
	if extra := rc.ping("first"); len(extra) != 0 {
		t.Fatalf("hello without id was answered: %v", extra)
	}
	if !rc.isOpen() {
		t.Fatal("closed")
	}
	// A failing hello without id: the error has no id.
	bad := h.raw()
	bad.sendJSON(map[string]any{"type": "hello", "data": map[string]any{"token": "x", "protocol": 1, "deviceId": "d1"}})
	expectRefused(t, bad, signaling.CodeUnauthorized, "", signaling.CloseUnauthorized)
}

func TestHelloWithoutIDRingsPendingAsEvent(t *testing.T) {
	// Known bug in server.go (not owned by this test file's author): for a
	// hello without id, signIn marks the waiting invitations received but
	// never delivers them (no result to list them, and no incomingCall is
	// sent either), although its comment says they arrive as events.
	// Remove this skip once signIn enqueues them as incomingCall events.
	h := newHarness(t)
	alice := h.dial("alice")
	res := invite(t, alice, "voice", "bob")
	rc := h.raw()
	rc.sendJSON(map[string]any{"type": "hello", "data": map[string]any{"token": h.token("bob", "B"), "protocol": 1, "deviceId": "d1"}})
	// With no hello result to list it, the waiting invitation arrives as an
	// incomingCall event (before the pong, which orders everything).
	var rung bool
	for _, m := range rc.ping("p") {
		if m["type"] == "incomingCall" && m["data"].(map[string]any)["callID"] == res.CallID {
			rung = true
		}
	}
	if !rung {
		t.Fatal("the waiting invitation never reached the device")
	}
}
