package signaling

import (
	"errors"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	for _, c := range []struct {
		s   string
		max int
		ok  bool
	}{
		{"alice", 64, true},
		{"A-Z_a.z@0-9", 64, true},
		{"a", 64, true},
		{"-", 64, true},
		{"...", 64, true},
		{strings.Repeat("x", 64), 64, true},
		{strings.Repeat("x", 65), 64, false},
		{strings.Repeat("c", 128), 128, true},
		{strings.Repeat("c", 129), 128, false},
		{"", 64, false},
		{"a b", 64, false},
		{"a/b", 64, false},
		{"a:b", 64, false},
		{"a+b", 64, false},
		{"a#b", 64, false},
		{"a\x00", 64, false},
		{"a\n", 64, false},
		{"ä", 64, false},
		{"ａ", 64, false}, // fullwidth a
		{"a\u200b", 64, false},
		{"\xff", 64, false},
		{"a'b", 64, false},
		{`a"b`, 64, false},
	} {
		if got := validID(c.s, c.max); got != c.ok {
			t.Errorf("validID(%q, %d) = %v", c.s, c.max, got)
		}
	}
	// Every allowed byte, and no other.
	for b := 0; b < 256; b++ {
		allowed := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.ContainsRune("_.@-", rune(b))
		if got := validID(string([]byte{byte(b)}), 64); got != allowed {
			t.Errorf("validID(%#x) = %v", b, got)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"", true},
		{"Alice", true},
		{"Alice Liddell", true},
		{"Ünïcødé ✓", true},
		{"李小龙", true},
		{"محمد", true},
		{"मनोज\u200dकुमार", true}, // ZWJ in Devanagari
		{"می\u200cخواهم", true},   // ZWNJ in Persian
		{"Alice 👩‍💻", true},       // emoji ZWJ sequence
		{"🇫🇷 Jean", true},         // regional indicators
		{"👍🏽", true},              // skin tone modifier
		{"e\u0301", true},         // combining mark
		{"no\u00a0break", true},   // NBSP
		{strings.Repeat("é", 128), true},
		{strings.Repeat("é", 129), false},
		{strings.Repeat("a", 129), false},
		{strings.Repeat("👩", 128), true},
		{"tab\there", false},
		{"new\nline", false},
		{"cr\r", false},
		{"nul\x00", false},
		{"bell\a", false},
		{"del\x7f", false},
		{"c1\u0085", false},
		{"c1\u009b", false},
		{"line\u2028sep", false},
		{"para\u2029sep", false},
		{"rtl\u202eoverride", false},
		{"isolate\u2066x\u2069", false},
		{"mark\u200f", false}, // RLM is a bidi control
		{"bad\xffutf8", false},
		{"\xc3", false},         // truncated sequence
		{"\xed\xa0\x80", false}, // encoded surrogate
	} {
		if got := validName(c.s); got != c.ok {
			t.Errorf("validName(%q) = %v, want %v", c.s, got, c.ok)
		}
	}
}

// wantValid runs v.validate and checks the outcome: "" for valid, else the
// sentinel the error must wrap.
func checkValidate(t *testing.T, name string, v validator, want error) {
	t.Helper()
	err := v.validate()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", name, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: want %v, got %v", name, want, err)
	}
}

func bp(b bool) *bool           { return &b }
func ip(n int) *int             { return &n }
func sp(s string) *string       { return &s }
func ids(s ...string) *[]string { return &s }

func TestValidateHello(t *testing.T) {
	p1 := ip(1)
	for name, c := range map[string]struct {
		r    HelloRequest
		want error
	}{
		"ok":                {HelloRequest{Token: "t", Protocol: p1, DeviceID: "d1"}, nil},
		"ok resume":         {HelloRequest{Token: "t", Protocol: p1, DeviceID: "d1", Resume: "s_anything goes"}, nil},
		"no token":          {HelloRequest{Protocol: p1, DeviceID: "d1"}, ErrBadRequest},
		"no protocol":       {HelloRequest{Token: "t", DeviceID: "d1"}, ErrBadRequest},
		"no device":         {HelloRequest{Token: "t", Protocol: p1}, ErrBadRequest},
		"bad device":        {HelloRequest{Token: "t", Protocol: p1, DeviceID: "d 1"}, ErrBadRequest},
		"long device":       {HelloRequest{Token: "t", Protocol: p1, DeviceID: strings.Repeat("d", 65)}, ErrBadRequest},
		"device 64":         {HelloRequest{Token: "t", Protocol: p1, DeviceID: strings.Repeat("d", 64)}, nil},
		"resume too long":   {HelloRequest{Token: "t", Protocol: p1, DeviceID: "d", Resume: strings.Repeat("s", 65)}, ErrBadRequest},
		"protocol 2 (gate)": {HelloRequest{Token: "t", Protocol: ip(2), DeviceID: "d"}, nil}, // refused by the gate, not here
	} {
		r := c.r
		checkValidate(t, name, &r, c.want)
	}
}

func TestValidateInvite(t *testing.T) {
	bob := []User{{ID: "bob"}}
	nine := make([]User, 9)
	ten := make([]User, 10)
	for i := range ten {
		u := User{ID: "u" + string(rune('0'+i))}
		ten[i] = u
		if i < 9 {
			nine[i] = u
		}
	}
	for name, c := range map[string]struct {
		r    InviteRequest
		want error
	}{
		"ok":                  {InviteRequest{Invitees: bob, Type: "video"}, nil},
		"voice":               {InviteRequest{Invitees: bob, Type: "voice"}, nil},
		"nine":                {InviteRequest{Invitees: nine, Type: "video"}, nil},
		"ten":                 {InviteRequest{Invitees: ten, Type: "video"}, ErrBadRequest},
		"none":                {InviteRequest{Invitees: []User{}, Type: "video"}, ErrBadRequest},
		"missing invitees":    {InviteRequest{Type: "video"}, ErrBadRequest},
		"missing type":        {InviteRequest{Invitees: bob}, ErrBadRequest},
		"bad type":            {InviteRequest{Invitees: bob, Type: "Video"}, ErrBadRequest},
		"bad invitee":         {InviteRequest{Invitees: []User{{ID: "b ob"}}, Type: "video"}, ErrBadRequest},
		"empty invitee":       {InviteRequest{Invitees: []User{{ID: ""}}, Type: "video"}, ErrBadRequest},
		"duplicate invitee":   {InviteRequest{Invitees: []User{{ID: "bob"}, {ID: "bob"}}, Type: "video"}, ErrBadRequest},
		"bad invitee name":    {InviteRequest{Invitees: []User{{ID: "bob", Name: "B\nob"}}, Type: "video"}, ErrBadRequest},
		"long invitee name":   {InviteRequest{Invitees: []User{{ID: "bob", Name: strings.Repeat("n", 129)}}, Type: "video"}, ErrBadRequest},
		"call id":             {InviteRequest{Invitees: bob, Type: "video", CallID: strings.Repeat("c", 128)}, nil},
		"call id too long":    {InviteRequest{Invitees: bob, Type: "video", CallID: strings.Repeat("c", 129)}, ErrBadRequest},
		"call id bad":         {InviteRequest{Invitees: bob, Type: "video", CallID: "c 1"}, ErrBadRequest},
		"timeout 1":           {InviteRequest{Invitees: bob, Type: "video", TimeoutSeconds: ip(1)}, nil},
		"timeout 600":         {InviteRequest{Invitees: bob, Type: "video", TimeoutSeconds: ip(600)}, nil},
		"timeout 0":           {InviteRequest{Invitees: bob, Type: "video", TimeoutSeconds: ip(0)}, ErrBadRequest},
		"timeout 601":         {InviteRequest{Invitees: bob, Type: "video", TimeoutSeconds: ip(601)}, ErrBadRequest},
		"timeout negative":    {InviteRequest{Invitees: bob, Type: "video", TimeoutSeconds: ip(-5)}, ErrBadRequest},
		"customData 4096":     {InviteRequest{Invitees: bob, Type: "video", CustomData: strings.Repeat("x", 4096)}, nil},
		"customData 4097":     {InviteRequest{Invitees: bob, Type: "video", CustomData: strings.Repeat("x", 4097)}, ErrTooLarge},
		"notification":        {InviteRequest{Invitees: bob, Type: "video", Notification: &Notification{Title: "t", Message: "m"}}, nil},
		"notification huge":   {InviteRequest{Invitees: bob, Type: "video", Notification: &Notification{Title: strings.Repeat("t", 4097)}}, ErrTooLarge},
		"callConfig":          {InviteRequest{Invitees: bob, Type: "video", CallConfig: &CallConfig{CanInvitingInCalling: bp(true)}}, nil},
		"self not known here": {InviteRequest{Invitees: []User{{ID: "alice"}}, Type: "video"}, nil}, // room refuses self-invites
	} {
		r := c.r
		checkValidate(t, name, &r, c.want)
	}
}

func TestValidateCancelAcceptReject(t *testing.T) {
	cases := []struct {
		name string
		v    validator
		want error
	}{
		{"cancel all", &CancelRequest{CallID: "c1"}, nil},
		{"cancel one", &CancelRequest{CallID: "c1", UserIDs: ids("bob")}, nil},
		{"cancel empty list", &CancelRequest{CallID: "c1", UserIDs: ids()}, ErrBadRequest},
		{"cancel bad id", &CancelRequest{CallID: "c1", UserIDs: ids("bob", "b!")}, ErrBadRequest},
		{"cancel no call", &CancelRequest{UserIDs: ids("bob")}, ErrBadRequest},
		{"cancel customData", &CancelRequest{CallID: "c1", CustomData: strings.Repeat("x", 4097)}, ErrTooLarge},
		{"accept", &AcceptRequest{CallID: "c1", CustomData: strings.Repeat("x", 4096)}, nil},
		{"accept no call", &AcceptRequest{}, ErrBadRequest},
		{"accept bad call", &AcceptRequest{CallID: "c/1"}, ErrBadRequest},
		{"accept customData", &AcceptRequest{CallID: "c1", CustomData: strings.Repeat("x", 4097)}, ErrTooLarge},
		{"reject default", &RejectRequest{CallID: "c1"}, nil},
		{"reject declined", &RejectRequest{CallID: "c1", Reason: "declined"}, nil},
		{"reject busy", &RejectRequest{CallID: "c1", Reason: "busy"}, nil},
		{"reject other reason", &RejectRequest{CallID: "c1", Reason: "timeout"}, ErrBadRequest},
		{"reject no call", &RejectRequest{Reason: "busy"}, ErrBadRequest},
		{"reject customData", &RejectRequest{CallID: "c1", CustomData: strings.Repeat("x", 4097)}, ErrTooLarge},
	}
	for _, c := range cases {
		checkValidate(t, c.name, c.v, c.want)
	}
}

func TestValidateCallRequests(t *testing.T) {
	cases := []struct {
		name string
		v    validator
		want error
	}{
		{"join", &JoinRequest{CallID: "c1"}, nil},
		{"join create", &JoinRequest{CallID: "c1", Type: "voice", CallConfig: &CallConfig{}}, nil},
		{"join bad type", &JoinRequest{CallID: "c1", Type: "audio"}, ErrBadRequest},
		{"join no call", &JoinRequest{Type: "video"}, ErrBadRequest},
		{"join 129", &JoinRequest{CallID: strings.Repeat("c", 129)}, ErrBadRequest},
		{"leave", &LeaveRequest{CallID: "c1"}, nil},
		{"leave no call", &LeaveRequest{}, ErrBadRequest},
		{"remove", &RemoveRequest{CallID: "c1", UserIDs: []string{"bob", "carol"}}, nil},
		{"remove none", &RemoveRequest{CallID: "c1"}, ErrBadRequest},
		{"remove empty", &RemoveRequest{CallID: "c1", UserIDs: []string{}}, ErrBadRequest},
		{"remove bad", &RemoveRequest{CallID: "c1", UserIDs: []string{strings.Repeat("u", 65)}}, ErrBadRequest},
		{"remove no call", &RemoveRequest{UserIDs: []string{"bob"}}, ErrBadRequest},
		{"setDevice camera", &SetDeviceRequest{CallID: "c1", Camera: bp(false)}, nil},
		{"setDevice mic", &SetDeviceRequest{CallID: "c1", Microphone: bp(true)}, nil},
		{"setDevice route", &SetDeviceRequest{CallID: "c1", AudioRoute: sp("usb")}, nil},
		{"setDevice no field", &SetDeviceRequest{CallID: "c1"}, ErrBadRequest},
		{"setDevice bad route", &SetDeviceRequest{CallID: "c1", AudioRoute: sp("Speaker")}, ErrBadRequest},
		{"setDevice empty route", &SetDeviceRequest{CallID: "c1", AudioRoute: sp("")}, ErrBadRequest},
		{"setDevice no call", &SetDeviceRequest{Camera: bp(true)}, ErrBadRequest},
		{"setRemoteDevice", &SetRemoteDeviceRequest{CallID: "c1", UserID: "bob", Camera: bp(false)}, nil},
		{"setRemoteDevice mic", &SetRemoteDeviceRequest{CallID: "c1", UserID: "bob", Microphone: bp(true)}, nil},
		{"setRemoteDevice no field", &SetRemoteDeviceRequest{CallID: "c1", UserID: "bob"}, ErrBadRequest},
		{"setRemoteDevice no user", &SetRemoteDeviceRequest{CallID: "c1", Camera: bp(false)}, ErrBadRequest},
		{"setRemoteDevice bad user", &SetRemoteDeviceRequest{CallID: "c1", UserID: "b ob", Camera: bp(false)}, ErrBadRequest},
		{"setRemoteDevice no call", &SetRemoteDeviceRequest{UserID: "bob", Camera: bp(false)}, ErrBadRequest},
	}
	for _, c := range cases {
		checkValidate(t, c.name, c.v, c.want)
	}
	for _, r := range []string{"speaker", "earpiece", "headphone", "bluetooth", "usb", "airplay"} {
		checkValidate(t, "route "+r, &SetDeviceRequest{CallID: "c1", AudioRoute: sp(r)}, nil)
	}
}

func TestValidateMediaRequests(t *testing.T) {
	mid := "0"
	cases := []struct {
		name string
		v    validator
		want error
	}{
		{"offer", &OfferRequest{CallID: "c1", Target: "publisher", SDP: "v=0"}, nil},
		{"offer tracks", &OfferRequest{CallID: "c1", Target: "publisher", SDP: "v=0",
			Tracks: []TrackSource{{Mid: "0", Source: "camera"}, {Mid: "1", Source: "microphone"}, {Mid: "2", Source: "screen"}}}, nil},
		{"offer subscriber", &OfferRequest{CallID: "c1", Target: "subscriber", SDP: "v=0"}, ErrBadRequest},
		{"offer no sdp", &OfferRequest{CallID: "c1", Target: "publisher"}, ErrBadRequest},
		{"offer no target", &OfferRequest{CallID: "c1", SDP: "v=0"}, ErrBadRequest},
		{"offer no call", &OfferRequest{Target: "publisher", SDP: "v=0"}, ErrBadRequest},
		{"offer bad source", &OfferRequest{CallID: "c1", Target: "publisher", SDP: "v=0", Tracks: []TrackSource{{Mid: "0", Source: "webcam"}}}, ErrBadRequest},
		{"offer empty mid", &OfferRequest{CallID: "c1", Target: "publisher", SDP: "v=0", Tracks: []TrackSource{{Source: "camera"}}}, ErrBadRequest},
		{"offer long mid", &OfferRequest{CallID: "c1", Target: "publisher", SDP: "v=0", Tracks: []TrackSource{{Mid: strings.Repeat("m", 65), Source: "camera"}}}, ErrBadRequest},
		{"answer", &AnswerRequest{CallID: "c1", Target: "subscriber", SDP: "v=0"}, nil},
		{"answer publisher", &AnswerRequest{CallID: "c1", Target: "publisher", SDP: "v=0"}, ErrBadRequest},
		{"answer no sdp", &AnswerRequest{CallID: "c1", Target: "subscriber"}, ErrBadRequest},
		{"trickle end", &TrickleRequest{CallID: "c1", Target: "publisher"}, nil},
		{"trickle candidate", &TrickleRequest{CallID: "c1", Target: "subscriber", Candidate: &Candidate{
			Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", SDPMid: &mid}}, nil},
		{"trickle mdns candidate", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{
			Candidate: "candidate:2 1 udp 2130706431 3f1c2a9e-1b2c.local 5000 typ host generation 0"}}, nil},
		{"trickle srflx without prefix", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{
			Candidate: "842163049 1 udp 1677729535 192.0.2.7 46154 typ srflx raddr 0.0.0.0 rport 0"}}, nil},
		{"trickle empty candidate", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{}}, nil},
		{"trickle garbage", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{Candidate: "foo bar"}}, ErrBadRequest},
		{"trickle bare word", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{Candidate: "localhost"}}, ErrBadRequest},
		{"trickle short", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{Candidate: "candidate:1"}}, ErrBadRequest},
		{"trickle hostname", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{
			Candidate: "candidate:1 1 udp 2130706431 localhost 5000 typ host"}}, ErrBadRequest},
		{"trickle port 70000", &TrickleRequest{CallID: "c1", Target: "publisher", Candidate: &Candidate{
			Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 70000 typ host"}}, ErrBadRequest},
		{"trickle bad target", &TrickleRequest{CallID: "c1", Target: "both"}, ErrBadRequest},
		{"trickle no call", &TrickleRequest{Target: "publisher"}, ErrBadRequest},
		{"subscribe", &SubscribeRequest{CallID: "c1", TrackID: "t1", Quality: "high"}, nil},
		{"subscribe bad quality", &SubscribeRequest{CallID: "c1", TrackID: "t1", Quality: "ultra"}, ErrBadRequest},
		{"subscribe no quality", &SubscribeRequest{CallID: "c1", TrackID: "t1"}, ErrBadRequest},
		{"subscribe no track", &SubscribeRequest{CallID: "c1", Quality: "low"}, ErrBadRequest},
		{"subscribe bad track", &SubscribeRequest{CallID: "c1", TrackID: "t 1", Quality: "low"}, ErrBadRequest},
		{"ping", &pingRequest{}, nil},
	}
	for _, c := range cases {
		checkValidate(t, c.name, c.v, c.want)
	}
	for _, q := range []string{"low", "medium", "high", "off"} {
		checkValidate(t, "quality "+q, &SubscribeRequest{CallID: "c1", TrackID: "t1", Quality: q}, nil)
	}
}

func TestValidationErrorsMapToCodes(t *testing.T) {
	if codeFor(badRequest("x")) != CodeBadRequest || codeFor(tooLarge("x")) != CodeTooLarge {
		t.Fatal("codeFor")
	}
	// Validation messages name the offending field, so clients can fix it.
	err := (&InviteRequest{Invitees: []User{{ID: "bob"}}, Type: "video", TimeoutSeconds: ip(0)}).validate()
	if err == nil || !strings.Contains(err.Error(), "timeoutSeconds") {
		t.Fatalf("message %v", err)
	}
}
