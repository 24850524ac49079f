package signaling

import (
	"errors"
	"fmt"

	"github.com/ringsfu/ringsfu/room"
)

// Wire error codes (PROTOCOL.md §2).
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeNotPermitted = "not_permitted"
	CodeBusy         = "busy"
	CodeConflict     = "conflict"
	CodeRateLimited  = "rate_limited"
	CodeTooLarge     = "too_large"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// Sentinel errors of the signaling layer.
var (
	// ErrBadRequest marks a malformed or invalid request.
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized marks a failed or missing authentication.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrTooLarge marks a field over its size limit.
	ErrTooLarge = errors.New("too large")
	// ErrRateLimited marks a message refused by the rate limiter.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable marks a request the server cannot serve right now
	// (shutting down, or media not configured).
	ErrUnavailable = errors.New("unavailable")
)

// badRequest returns an ErrBadRequest with a readable message.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// tooLarge returns an ErrTooLarge with a readable message.
func tooLarge(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrTooLarge, fmt.Sprintf(format, args...))
}

// codeFor maps any error the server produces to its wire code. It is the one
// place where errors become codes.
func codeFor(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBadRequest), errors.Is(err, room.ErrBadRequest):
		return CodeBadRequest
	case errors.Is(err, ErrUnauthorized):
		return CodeUnauthorized
	case errors.Is(err, ErrTooLarge), errors.Is(err, room.ErrTooLarge):
		return CodeTooLarge
	case errors.Is(err, ErrRateLimited):
		return CodeRateLimited
	case errors.Is(err, ErrUnavailable), errors.Is(err, room.ErrUnavailable):
		return CodeUnavailable
	case errors.Is(err, room.ErrNotFound):
		return CodeNotFound
	case errors.Is(err, room.ErrNotPermitted):
		return CodeNotPermitted
	case errors.Is(err, room.ErrBusy):
		return CodeBusy
	case errors.Is(err, room.ErrConflict):
		return CodeConflict
	default:
		return CodeInternal
	}
}

// messageFor returns the human-readable message sent with an error code.
// Internal errors are not described to clients.
func messageFor(err error) string {
	if codeFor(err) == CodeInternal {
		return "internal error"
	}
	return err.Error()
}
