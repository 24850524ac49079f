package client

import (
	"context"
	"fmt"

	"github.com/ringsfu/ringsfu/signaling"
)

// Next removes and returns the oldest event, waiting for one if needed.
func (c *Client) Next(ctx context.Context) (Event, error) {
	return c.WaitFor(ctx, "", nil)
}

// WaitFor removes and returns the oldest event of type typ ("" for any)
// that match accepts (nil accepts all), waiting until one arrives, the
// connection ends or ctx is done. Events it skips stay queued.
func (c *Client) WaitFor(ctx context.Context, typ string, match func(Event) bool) (Event, error) {
	for {
		c.mu.Lock()
		for i, ev := range c.events {
			if (typ == "" || ev.Type == typ) && (match == nil || match(ev)) {
				c.events = append(c.events[:i:i], c.events[i+1:]...)
				c.mu.Unlock()
				return ev, nil
			}
		}
		closed, wake := c.closed, c.wake
		c.mu.Unlock()
		if closed {
			return Event{}, fmt.Errorf("client: waiting for %q: %w", typ, ErrClosed)
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("client: waiting for %q: %w", typ, ctx.Err())
		}
	}
}

// Pending returns a copy of the queued events without removing them.
func (c *Client) Pending() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Event, len(c.events))
	copy(out, c.events)
	return out
}

// Has reports whether an event of type typ is queued.
func (c *Client) Has(typ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.events {
		if ev.Type == typ {
			return true
		}
	}
	return false
}

// Discard drops every queued event.
func (c *Client) Discard() {
	c.mu.Lock()
	c.events = nil
	c.mu.Unlock()
}

// WaitError removes and returns the oldest error that came without id,
// waiting for one if needed.
func (c *Client) WaitError(ctx context.Context) (*Error, error) {
	for {
		c.mu.Lock()
		if len(c.errors) > 0 {
			env := c.errors[0]
			c.errors = c.errors[1:]
			c.mu.Unlock()
			if env.Error == nil {
				return &Error{Code: "internal"}, nil
			}
			return &Error{Code: env.Error.Code, Message: env.Error.Message}, nil
		}
		closed, wake := c.closed, c.wake
		c.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, fmt.Errorf("client: waiting for error: %w", ctx.Err())
		}
	}
}

// Typed waits: each waits for the next event of its type in callID ("" for
// any call) and returns its body.

// IncomingCall waits for an incomingCall.
func (c *Client) IncomingCall(ctx context.Context) (*signaling.IncomingCall, error) {
	ev, err := c.WaitFor(ctx, signaling.TypeIncomingCall, nil)
	if err != nil {
		return nil, err
	}
	return ev.Data.(*signaling.IncomingCall), nil
}

// WaitType waits for the next event of typ and decodes its body into the
// type registered for it.
func WaitType[T any](ctx context.Context, c *Client, typ string) (*T, error) {
	ev, err := c.WaitFor(ctx, typ, nil)
	if err != nil {
		return nil, err
	}
	v, ok := ev.Data.(*T)
	if !ok {
		return nil, fmt.Errorf("client: event %s has body %T", typ, ev.Data)
	}
	return v, nil
}
