// Package push rings devices that are not connected: when an invitation
// rings a user, every push registration of the user whose device has no
// live session (none, or one in its resume grace) gets a ring push, and
// when the ring ends (canceled, timed out, answered or declined on another
// device) every registration that got the ring push gets a stop push so
// that the device stops ringing.
//
// The room loops reach the Dispatcher through signaling (Ring, StopRing)
// and the room Observer (InvitationCreated, for the invite's notification
// text); each of these only enqueues, never blocks: a full queue drops the
// event and counts it on /metrics. Providers (APNs, FCM, Web Push) sit
// behind the Provider interface; each has its own queue and workers, so a
// provider that hangs or fails delays nothing but its own pushes. A failed
// send is retried with exponential backoff; a provider that reports the
// target gone (APNs 410 Unregistered, FCM UNREGISTERED, Web Push 404/410)
// gets the registration removed from the Store.
//
// Package push imports package room (for its ids and events) and nothing
// else of the project; cmd wires it to signaling and to the registration
// store (room/history).
//
// Goroutine model: NewDispatcher starts one resolver goroutine, which
// reads registrations from the Store and fans each event out to the
// provider queues, and Workers goroutines per provider, which send. Close
// stops them all and waits for them; a send in flight is canceled.
package push
