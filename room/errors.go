package room

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a room or the Manager returns wraps one of
// these; the signaling layer maps them to wire codes.
var (
	// ErrBadRequest means the request is invalid in itself (inviting
	// oneself, removing oneself, a missing call type for a new call).
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound means the call, member, invitation or track does not
	// exist, or the request came from a device that is not the member.
	ErrNotFound = errors.New("not found")
	// ErrNotPermitted means the call's policy or the caller's role forbids
	// the request.
	ErrNotPermitted = errors.New("not permitted")
	// ErrBusy means the user is already in another call.
	ErrBusy = errors.New("busy")
	// ErrConflict means the request contradicts existing state (a call id
	// of a live call the sender is not in, another device holding the
	// membership).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable means the manager is shutting down.
	ErrUnavailable = errors.New("unavailable")
	// ErrTooLarge means the request would pass a size cap: members plus
	// waiting invitees of a call, or a user's outstanding invitations.
	ErrTooLarge = errors.New("too large")
	// ErrElsewhere means the call is owned by another process of a cluster
	// (Ownership.Own refused it): the request belongs there. It is a
	// conflict for callers that cannot route it.
	ErrElsewhere = fmt.Errorf("%w: call owned by another node", ErrConflict)

	// errClosed is returned internally when a room ended before it could
	// take a command; the Manager then retries against a fresh lookup.
	errClosed = errors.New("room closed")
)

// notFound returns an ErrNotFound with a readable message.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, args...))
}

// notPermitted returns an ErrNotPermitted with a readable message.
func notPermitted(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotPermitted, fmt.Sprintf(format, args...))
}

// badRequest returns an ErrBadRequest with a readable message.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// conflict returns an ErrConflict with a readable message.
func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

// tooLarge returns an ErrTooLarge with a readable message.
func tooLarge(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrTooLarge, fmt.Sprintf(format, args...))
}
