package history

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestStorePushRegistrations(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		s := open(t, b.fresh(t))
		ctx := context.Background()
		r, err := s.PutPush(ctx, PushRegistration{User: "bob", Device: "phone", Provider: "apns", Target: "tok1",
			VoIP: true, AppID: "com.example.app", Locale: "de"}, at(0))
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != PushID("apns", "tok1") || !r.VoIP || r.AppID != "com.example.app" || !r.CreatedAt.Equal(at(0)) {
			t.Fatalf("put returned %+v", r)
		}
		// The same target again updates the row.
		r2, err := s.PutPush(ctx, PushRegistration{User: "bob", Device: "phone2", Provider: "apns", Target: "tok1", Locale: "fr"}, at(5))
		if err != nil {
			t.Fatal(err)
		}
		if r2.ID != r.ID || r2.Device != "phone2" || r2.VoIP || r2.Locale != "fr" || !r2.CreatedAt.Equal(at(0)) || !r2.UpdatedAt.Equal(at(5)) {
			t.Fatalf("update returned %+v", r2)
		}
		if _, err := s.PutPush(ctx, PushRegistration{User: "bob", Device: "tab", Provider: "webpush", Target: `{"endpoint":"x"}`}, at(6)); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Pushes(ctx, "bob")
		if err != nil || len(rs) != 2 || rs[0].Provider != "apns" || rs[1].Target != `{"endpoint":"x"}` {
			t.Fatalf("pushes %+v, %v", rs, err)
		}
		// A token that moves to another user leaves the previous one.
		if _, err := s.PutPush(ctx, PushRegistration{User: "carol", Device: "phone", Provider: "apns", Target: "tok1"}, at(7)); err != nil {
			t.Fatal(err)
		}
		if rs, _ := s.Pushes(ctx, "bob"); len(rs) != 1 || rs[0].Provider != "webpush" {
			t.Fatalf("bob after the move: %+v", rs)
		}
		if ok, err := s.DeletePush(ctx, "carol", r.ID); err != nil || !ok {
			t.Fatalf("delete: %v %v", ok, err)
		}
		if ok, _ := s.DeletePush(ctx, "carol", r.ID); ok {
			t.Fatal("deleted twice")
		}
		if _, err := s.getPush(ctx, "carol", r.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
		if n, err := s.DeleteDevicePushes(ctx, "bob", "tab"); err != nil || n != 1 {
			t.Fatalf("delete device: %d %v", n, err)
		}
		// Past the cap the least recently updated go.
		for i := 0; i < MaxPushPerUser+3; i++ {
			if _, err := s.PutPush(ctx, PushRegistration{User: "dan", Device: "d", Provider: "fcm", Target: fmt.Sprint("t", i)}, at(10+i)); err != nil {
				t.Fatal(err)
			}
		}
		rs, _ = s.Pushes(ctx, "dan")
		if len(rs) != MaxPushPerUser || rs[0].Target != "t3" {
			t.Fatalf("capped: %d registrations, first %+v", len(rs), rs[0])
		}
		if _, err := s.PutPush(ctx, PushRegistration{User: "dan"}, at(0)); err == nil {
			t.Fatal("empty registration accepted")
		}
	})
}
