package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/ringsfu/ringsfu/room"
)

// relayedCaller is a room.Caller on the wire between nodes.
type relayedCaller struct {
	User   string `json:"u"`
	Device string `json:"d"`
	Claim  string `json:"c,omitempty"`
	// Name is the name the caller's own token carries, when known: the
	// owner shows it as on one node, where the token's name beats names
	// inviters supplied.
	Name *string `json:"n,omitempty"`
}

// toRelayed encodes c with the token name this node knows for its user.
func (s *Server) toRelayed(c room.Caller) relayedCaller {
	rc := relayedCaller{User: string(c.User), Device: string(c.Device), Claim: string(c.Claim)}
	if name, ok := s.mgr.TokenName(c.User); ok {
		rc.Name = &name
	}
	return rc
}

// learnName records the token name a relayed caller brought.
func (s *Server) learnName(rc relayedCaller) {
	if rc.Name != nil {
		s.mgr.SetTokenName(room.UserID(rc.User), *rc.Name)
	}
}

func (r relayedCaller) caller() room.Caller {
	return room.Caller{User: room.UserID(r.User), Device: room.DeviceID(r.Device), Claim: room.CallID(r.Claim)}
}

// relayedRequest is a validated client request relayed to a call's owner.
type relayedRequest struct {
	Caller relayedCaller   `json:"caller"`
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data"`
}

// requestCall returns the wire type of a request and the call it is about
// ("" when it names none).
func requestCall(v validator) (typ string, call string) {
	switch r := v.(type) {
	case *InviteRequest:
		return TypeInvite, r.CallID
	case *CancelRequest:
		return TypeCancel, r.CallID
	case *AcceptRequest:
		return TypeAccept, r.CallID
	case *RejectRequest:
		return TypeReject, r.CallID
	case *JoinRequest:
		return TypeJoin, r.CallID
	case *LeaveRequest:
		return TypeLeave, r.CallID
	case *RemoveRequest:
		return TypeRemove, r.CallID
	case *SetDeviceRequest:
		return TypeSetDevice, r.CallID
	case *SetRemoteDeviceRequest:
		return TypeSetRemoteDevice, r.CallID
	case *OfferRequest:
		return TypeOffer, r.CallID
	case *AnswerRequest:
		return TypeAnswer, r.CallID
	case *TrickleRequest:
		return TypeTrickle, r.CallID
	case *SubscribeRequest:
		return TypeSubscribe, r.CallID
	case *MediaResetRequest:
		return TypeMediaReset, r.CallID
	}
	return "", ""
}

// routeRemote relays a request about a call another node owns to that
// node, answering the client when the owner replies. It reports whether it
// took the request; false means: handle it here.
func (s *Server) routeRemote(c *conn, id *string, v validator) bool {
	cl := s.cfg.Cluster
	if cl == nil {
		return false
	}
	typ, call := requestCall(v)
	caller := c.sess.caller()
	if call == "" && typ == TypeInvite {
		// An invite without call id from a member (or invitee) of a call
		// is about that call: invite in calling, or glare.
		if sl, ok := s.mgr.Index().Slot(caller.User); ok {
			call = string(sl.Call)
		}
	}
	if call != "" && s.mgr.Owns(room.CallID(call)) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	node, ok := "", false
	if call != "" {
		var err error
		if node, ok, err = cl.Owners.OwnerOf(ctx, room.CallID(call)); err != nil {
			c.sendErr(id, err)
			return true
		}
	}
	if !ok {
		if typ != TypeInvite && typ != TypeJoin {
			return false // about a call nobody owns: not_found here
		}
		// A new call: placed on this node unless it is overloaded.
		var err error
		if node, err = cl.Placer.Place(ctx); err != nil {
			c.sendErr(id, err)
			return true
		}
	}
	if node == cl.NodeID {
		return false
	}
	data, err := json.Marshal(v)
	if err != nil {
		c.sendErr(id, fmt.Errorf("%w: encode relayed request: %v", room.ErrUnavailable, err))
		return true
	}
	body, err := json.Marshal(relayedRequest{Caller: s.toRelayed(caller), Type: typ, Data: data})
	if err != nil {
		c.sendErr(id, fmt.Errorf("%w: encode relayed request: %v", room.ErrUnavailable, err))
		return true
	}
	s.cl.relayed.WithLabelValues("out").Inc()
	cl.Relay.Go(context.Background(), node, relayRequest, body, func(res []byte, err error) {
		if err != nil {
			c.sendErr(id, err)
			return
		}
		if id == nil {
			return
		}
		msg, err := appendEnvelope(id, TypeResult, res)
		if err != nil {
			c.sendError(id, CodeInternal, "internal error")
			return
		}
		c.enqueue(msg)
	})
	return true
}

// HandleRelayed takes one message another node relayed to this one. It is
// called on the relay's reader goroutine and does not block: events are
// handed to local sessions, requests queued for the relay workers.
func (s *Server) HandleRelayed(from, kind, corr string, body []byte) {
	switch kind {
	case relayEvent:
		s.deliverRelayed(body)
	case relayRequest, relayAttach, relayEnded, relayTakeSession, relayDisplace, relayDevices, relayEvict:
		select {
		case s.cl.in[relayShard(body, len(s.cl.in))] <- relayedMsg{from: from, kind: kind, corr: corr, body: body}:
		default:
			s.log.Warn().Str("from", from).Msg("relay queue full: request dropped")
			go func() {
				_ = s.cfg.Cluster.Relay.ReplyTo(context.Background(), from, corr, nil,
					fmt.Errorf("%w: node overloaded", room.ErrUnavailable))
			}()
		}
	default:
		s.log.Warn().Str("from", from).Str("kind", kind).Msg("unknown relayed message")
	}
}

// relayedMsg is a relayed request waiting for the relay worker.
type relayedMsg struct {
	from, kind, corr string
	body             []byte
}

// relayShard picks the worker of a relayed message by the device it is
// about (the caller of a request, session end or attach; the device of a
// session take-over), so that one device's requests run one by one, in
// arrival order, while other devices' run beside them.
func relayShard(body []byte, n int) int {
	var k struct {
		relayedCaller
		Caller relayedCaller `json:"caller"`
	}
	_ = json.Unmarshal(body, &k) // a body that does not decode fails in runRelayed
	if k.Caller.User != "" {
		k.relayedCaller = k.Caller
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(k.User))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(k.Device))
	return int(h.Sum32() % uint32(n))
}

// relayWorker runs the relayed requests of its queue one by one, in
// arrival order, until done closes. Requests run as if from a local
// connection of the caller; their replies go back through the relay.
func (s *Server) relayWorker(in <-chan relayedMsg, done <-chan struct{}) {
	defer s.cl.wg.Done()
	for {
		select {
		case <-done:
			return
		case m := <-in:
			s.runRelayed(m)
		}
	}
}

// runRelayed executes one relayed request.
func (s *Server) runRelayed(m relayedMsg) {
	cl := s.cfg.Cluster
	answer := func(body []byte, err error) {
		err = relayableErr(err)
		if rerr := cl.Relay.ReplyTo(context.Background(), m.from, m.corr, body, err); rerr != nil {
			s.log.Warn().Err(rerr).Str("to", m.from).Msg("relay reply")
		}
	}
	s.cl.relayed.WithLabelValues("in").Inc()
	if m.kind == relayTakeSession {
		answer(s.giveUpSession(m.body))
		return
	}
	if m.kind == relayDevices || m.kind == relayEvict {
		answer(s.answerDevices(m.kind, m.body))
		return
	}
	if m.kind == relayDisplace {
		var d displaceMsg
		if err := json.Unmarshal(m.body, &d); err != nil {
			s.log.Warn().Err(err).Str("from", m.from).Msg("relayed displacement")
			return
		}
		s.mgr.Displace(room.UserID(d.Caller.User), room.DeviceID(d.Caller.Device), room.CallID(d.Call))
		return
	}
	if m.kind == relayEnded {
		var rc relayedCaller
		if err := json.Unmarshal(m.body, &rc); err != nil {
			answer(nil, fmt.Errorf("%w: relayed session end: %v", room.ErrBadRequest, err))
			return
		}
		s.mgr.SessionEnded(rc.caller())
		answer([]byte("{}"), nil)
		return
	}
	if m.kind == relayAttach {
		var rc relayedCaller
		if err := json.Unmarshal(m.body, &rc); err != nil {
			answer(nil, fmt.Errorf("%w: relayed attach: %v", room.ErrBadRequest, err))
			return
		}
		s.learnName(rc)
		pending, state := s.mgr.Attach(rc.caller())
		b, err := json.Marshal(ownerAttach{Pending: pending, State: state})
		answer(b, err)
		return
	}
	var req relayedRequest
	if err := json.Unmarshal(m.body, &req); err != nil {
		answer(nil, fmt.Errorf("%w: relayed request: %v", room.ErrBadRequest, err))
		return
	}
	v, err := decodeRequest(req.Type, req.Data, s.kinds)
	if err != nil {
		answer(nil, err)
		return
	}
	s.learnName(req.Caller)
	s.dispatch(req.Caller.caller(), func(res any, err error) {
		if err != nil {
			answer(nil, err)
			return
		}
		b, err := json.Marshal(wireResult(res))
		answer(b, err)
	}, v)
}

// relayableErr expresses signaling's own sentinels through room's, which
// the relay carries by code, so that a relayed request fails with the code
// it would have had on the caller's node.
func relayableErr(err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch {
	case errors.Is(err, ErrBadRequest) && !errors.Is(err, room.ErrBadRequest):
		sentinel = room.ErrBadRequest
	case errors.Is(err, ErrTooLarge) && !errors.Is(err, room.ErrTooLarge):
		sentinel = room.ErrTooLarge
	case errors.Is(err, ErrUnavailable) && !errors.Is(err, room.ErrUnavailable):
		sentinel = room.ErrUnavailable
	default:
		return err
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

// ownerAttach is the owner's answer to relayAttach.
type ownerAttach struct {
	Pending []room.IncomingCall `json:"pending"`
	State   *room.CallState     `json:"state,omitempty"`
}

// attach returns a signing-in device's waiting invitations and the call
// state it holds membership of, asking the call's owner when that is
// another node.
func (s *Server) attach(c room.Caller) ([]room.IncomingCall, *room.CallState) {
	pending, state := s.mgr.Attach(c)
	cl := s.cfg.Cluster
	if cl == nil || len(pending) > 0 || state != nil {
		return pending, state
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	sl, ok := s.mgr.Index().Slot(c.User)
	if !ok {
		// The user's call may be an orphan: its node is gone and no node
		// took it over yet. The device must find it as it left it.
		if call, orphan, err := cl.Adopter.Orphaned(ctx, c.User); err == nil && orphan {
			return s.attachOrphan(ctx, c, call, pending, state)
		}
		return pending, state
	}
	if s.mgr.Owns(sl.Call) {
		return pending, state
	}
	node, ok, err := cl.Owners.OwnerOf(ctx, sl.Call)
	if err != nil {
		return pending, state
	}
	if !ok || node == cl.NodeID {
		// Nobody owns the call (its node died or handed it over and no
		// node adopted it yet), or this node is adopting it: the device
		// must find its call, so adopt it here or wait for the adoption.
		return s.attachOrphan(ctx, c, sl.Call, pending, state)
	}
	body, _ := json.Marshal(s.toRelayed(c))
	type out struct {
		b   []byte
		err error
	}
	ch := make(chan out, 1)
	cl.Relay.Go(ctx, node, relayAttach, body, func(b []byte, err error) { ch <- out{b, err} })
	o := <-ch
	if o.err != nil {
		s.log.Warn().Err(o.err).Str("call_id", string(sl.Call)).Msg("attach at the call's owner")
		return pending, state
	}
	var res ownerAttach
	if err := json.Unmarshal(o.b, &res); err != nil {
		s.log.Warn().Err(err).Msg("relayed attach result")
		return pending, state
	}
	if res.Pending == nil {
		res.Pending = []room.IncomingCall{}
	}
	return res.Pending, res.State
}

// displaceMsg is the body of relayDisplace.
type displaceMsg struct {
	Caller relayedCaller `json:"caller"`
	Call   string        `json:"call"`
}

// relayDisplace tells the owner of call that u's waiting invitation there
// is displaced (room.ManagerConfig.RemoteDisplace). It is one-way: the
// busy answer reaches the inviter as an event.
func (s *Server) relayDisplace(u room.UserID, dev room.DeviceID, call room.CallID) {
	cl := s.cfg.Cluster
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	node, ok, err := cl.Owners.OwnerOf(ctx, call)
	if err != nil || !ok || node == cl.NodeID {
		if err != nil {
			s.log.Warn().Err(err).Str("call_id", string(call)).Msg("displaced invitation: owner")
		}
		return
	}
	body, err := json.Marshal(displaceMsg{Caller: relayedCaller{User: string(u), Device: string(dev)}, Call: string(call)})
	if err != nil {
		return
	}
	if err := cl.Relay.SendTo(ctx, node, relayDisplace, body); err != nil {
		s.log.Warn().Err(err).Str("call_id", string(call)).Msg("relay displaced invitation")
		return
	}
	s.cl.relayed.WithLabelValues("out").Inc()
}

// attachOrphan is attach for a device whose call has no owner, or whose
// owner is this node while its room is not running yet (an adoption in
// progress): it adopts the call here if nobody holds it, waits up to ctx
// for the room, and answers from it.
func (s *Server) attachOrphan(ctx context.Context, c room.Caller, call room.CallID, pending []room.IncomingCall, state *room.CallState) ([]room.IncomingCall, *room.CallState) {
	if _, err := s.cfg.Cluster.Adopter.Adopt(ctx, call); err != nil {
		s.log.Warn().Err(err).Str("call_id", string(call)).Msg("adopt a call at sign-in")
	}
	for !s.mgr.Owns(call) {
		if ctx.Err() != nil {
			return pending, state
		}
		// Polling the adoption running on another goroutine, bounded by
		// ctx.
		time.Sleep(20 * time.Millisecond)
	}
	return s.mgr.Attach(c)
}

// sessionEnded ends what a session held when it ended without resume: its
// membership ends as "disconnected", at the call's owner, which may be
// another node.
func (s *Server) sessionEnded(c room.Caller) {
	s.mgr.SessionEnded(c)
	cl := s.cfg.Cluster
	if cl == nil {
		return
	}
	sl, ok := s.mgr.Index().Slot(c.User)
	if !ok || !sl.Member || sl.Device != c.Device || s.mgr.Owns(sl.Call) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpTimeout)
	defer cancel()
	node, ok, err := cl.Owners.OwnerOf(ctx, sl.Call)
	if err != nil || !ok || node == cl.NodeID {
		return
	}
	body, _ := json.Marshal(s.toRelayed(c))
	cl.Relay.Go(ctx, node, relayEnded, body, func(_ []byte, err error) {
		if err != nil {
			s.log.Warn().Err(err).Str("user_id", string(c.User)).Str("call_id", string(sl.Call)).Msg("relay session end")
		}
	})
}
