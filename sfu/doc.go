// Package sfu forwards RTP between the members of a call. It knows nothing
// of users, invitations or JSON: the room layer decides who subscribes to
// what, and package sfu moves the packets.
//
// A Peer is one member's pair of PeerConnections (PROTOCOL.md §6): the
// publisher PC, where the client offers and the server answers (Publish), and
// the subscriber PC, where the server offers (OnSubscriberOffer) and the
// client answers (SetSubscriberAnswer). Every remote track published becomes
// an UpTrack; Subscribe attaches a DownTrack of an UpTrack to another Peer's
// subscriber PC. The server assigns track ids; a subscriber sees msid
// "<streamID> <trackID>", where the app passes the publisher's user id as
// streamID.
//
// Imports: package media, Pion and zerolog only.
//
// Goroutines, each with one owner and a written exit path:
//
//   - Peer: one negotiation goroutine for the subscriber PC (the operations
//     queue: one offer in flight, changes while waiting coalesce into exactly
//     one more offer). It exits when the Peer is closed.
//   - UpTrack: one reader goroutine per received remote track, i.e. per
//     simulcast layer, which fans each packet out to an atomic snapshot of
//     DownTracks (no lock, no allocation, no goroutine per packet; above
//     PeerConfig.ParallelFanOutMin subscribers the reader splits the
//     fan-out with up to GOMAXPROCS-1 helper goroutines it starts on first
//     use and stops when it exits, fanout.go); one RTCP
//     reader per layer so that the receive-side interceptors run; and one
//     control goroutine that sends throttled keyframe requests (PLI) and
//     measures layer bitrates. Readers exit when Pion ends the track (PC
//     closed or m-line removed); the control goroutine when the last reader
//     has exited or the Peer is closed. All are owned by the publishing Peer.
//   - DownTrack: one goroutine reading the RTPSender's RTCP, answering NACKs
//     from the UpTrack layer's shared retransmission ring (retransmit.go),
//     relaying PLI/FIR upstream and feeding REMB into layer selection. It
//     exits when the sender is stopped (Unsubscribe, or the subscriber PC
//     closed). It is owned by the subscribing Peer.
//   - Peer: one sender-report goroutine, started with its first
//     subscription, that sends the RTCP sender reports of all its DownTracks
//     every second (senderreport.go); it exits when the Peer is closed.
//
// Connection health (health.go): the Peer watches both PCs' states from
// Pion's callbacks; a disconnected PC arms a grace timer (time.AfterFunc,
// stopped by Close; its function only reads state and calls OnFailed), a
// subscriber that loses ICE with DTLS up gets an ICE restart offer from
// the negotiation goroutine, and OnFailed reports a lost Peer once.
//
// The direct send path (fastpath.go) adds no goroutine: a DownTrack whose
// subscriber PC has the fast path encrypts with its own SRTP context (under
// a mutex it shares only with its RTCP goroutine's NACK answers) into the
// DatagramBatch of the goroutine that forwards the packet — the layer
// reader or one of its fan-out helpers, each owning one — which sends the
// whole fan-out with one sendmmsg before it takes the next packet.
//
// Layer pausing (layers_pause.go) and probing (probe.go) add no goroutine
// either: the UpTrack's control goroutine reports the layers anyone needs
// (PeerConfig.OnPublisherLayers), and a probing DownTrack's padding is sent
// by the reader that forwards its media, after each media packet, in the
// same batch.
//
// Peer.Close closes both PCs and waits for all of the Peer's goroutines.
// Callbacks in PeerConfig are called from these goroutines and must not
// block.
package sfu
