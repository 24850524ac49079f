package client

// Event hooks let a component of the client (a media Session) take the
// events meant for it before they reach the application's queue, so that
// the application's Next and WaitFor never race it for them.

// hook is one registered event taker.
type hook struct {
	take func(Event) bool
}

// addHook registers take for the event types listed. For every event of
// those types, take is called before the event is queued; if it returns
// true the event is consumed and never queued. Events of those types that
// are already queued are offered to take at once, oldest first, so nothing
// sent before the registration is missed.
//
// take runs on the client's reader goroutine with the client's lock held:
// it must not block and must not call methods of the Client. It may only
// record the event (e.g. a non-blocking enqueue). The returned function
// removes the hook; it is idempotent.
func (c *Client) addHook(take func(Event) bool, types ...string) (remove func()) {
	h := &hook{take: take}
	c.mu.Lock()
	if c.hooks == nil {
		c.hooks = make(map[string][]*hook)
	}
	for _, t := range types {
		c.hooks[t] = append(c.hooks[t], h)
	}
	kept := c.events[:0:0]
	for _, ev := range c.events {
		if containsType(types, ev.Type) && take(ev) {
			continue
		}
		kept = append(kept, ev)
	}
	c.events = kept
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, t := range types {
			list := c.hooks[t]
			for i, x := range list {
				if x == h {
					c.hooks[t] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
			if len(c.hooks[t]) == 0 {
				delete(c.hooks, t)
			}
		}
	}
}

// hookLocked offers ev to the hooks of its type; it reports whether one
// consumed it. Hooks that do not consume an event still see it.
func (c *Client) hookLocked(ev Event) bool {
	for _, h := range c.hooks[ev.Type] {
		if h.take(ev) {
			return true
		}
	}
	return false
}

func containsType(types []string, t string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}
