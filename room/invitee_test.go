package room

import (
	"errors"
	"testing"
)

func TestInviteeTransitions(t *testing.T) {
	all := []InviteeStatus{statusNone, StatusWaiting, StatusAccepted, StatusDeclined, StatusBusy,
		StatusCanceled, StatusTimeout, StatusQuit, StatusRemoved}
	// want[event][from] = to; a missing entry means the event is refused.
	want := map[inviteeEvent]map[InviteeStatus]InviteeStatus{
		evRing: {statusNone: StatusWaiting, StatusDeclined: StatusWaiting, StatusBusy: StatusWaiting,
			StatusCanceled: StatusWaiting, StatusTimeout: StatusWaiting, StatusQuit: StatusWaiting, StatusRemoved: StatusWaiting},
		evRingBusy: {statusNone: StatusBusy, StatusDeclined: StatusBusy, StatusBusy: StatusBusy,
			StatusCanceled: StatusBusy, StatusTimeout: StatusBusy, StatusQuit: StatusBusy, StatusRemoved: StatusBusy},
		evAccept:  {StatusWaiting: StatusAccepted},
		evDecline: {StatusWaiting: StatusDeclined},
		evBusy:    {StatusWaiting: StatusBusy},
		evCancel:  {StatusWaiting: StatusCanceled},
		evTimeout: {StatusWaiting: StatusTimeout},
		evQuit:    {StatusAccepted: StatusQuit},
		evRemove:  {StatusAccepted: StatusRemoved},
		evRejoin: {StatusDeclined: StatusAccepted, StatusBusy: StatusAccepted, StatusCanceled: StatusAccepted,
			StatusTimeout: StatusAccepted, StatusQuit: StatusAccepted, StatusRemoved: StatusAccepted},
	}
	for ev, table := range want {
		for _, from := range all {
			got, err := next(from, ev)
			to, ok := table[from]
			switch {
			case ok && err != nil:
				t.Errorf("%s from %q: unexpected error %v", ev, from, err)
			case ok && got != to:
				t.Errorf("%s from %q: got %q, want %q", ev, from, got, to)
			case !ok && !errors.Is(err, ErrNotFound):
				t.Errorf("%s from %q: want ErrNotFound, got %q, %v", ev, from, got, err)
			case !ok && got != from:
				t.Errorf("%s from %q: refused event changed state to %q", ev, from, got)
			}
		}
	}
}
