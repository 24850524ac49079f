package signaling

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/ringsfu/ringsfu/room"
)

// Server API page size for active calls.
const (
	defaultAPICallsLimit = 50
	maxAPICallsLimit     = 200
)

// APICall is an active call as the server API shows it: the contract's
// CallState plus where it runs and its media figures.
type APICall struct {
	CallState
	// Node is the id of the node running the call ("" on a single node).
	Node  string       `json:"node"`
	Media APICallMedia `json:"media"`
}

// APICallMedia counts a call's media.
type APICallMedia struct {
	Members         int `json:"members"`
	PublishedTracks int `json:"publishedTracks"`
	MutedTracks     int `json:"mutedTracks"`
}

// APICallList is a page of active calls ordered by call id; Next, when set,
// is the `after` of the next page.
type APICallList struct {
	Calls []APICall `json:"calls"`
	Next  string    `json:"next,omitempty"`
}

// APIStartCall starts a call on behalf of Inviter (PROTOCOL.md §9.4).
type APIStartCall struct {
	Inviter User `json:"inviter"`
	InviteRequest
}

// APIRemove names the members to remove.
type APIRemove struct {
	UserIDs []string `json:"userIDs"`
}

// APISetDevice turns a member's devices off (false, enforced) or asks it
// to turn them on (true).
type APISetDevice struct {
	UserID     string `json:"userID"`
	Camera     *bool  `json:"camera,omitempty"`
	Microphone *bool  `json:"microphone,omitempty"`
}

// APIPresence is a user's presence on this server.
type APIPresence struct {
	UserID  string   `json:"userID"`
	Online  bool     `json:"online"`
	Devices []string `json:"devices"`
	// Busy is true while the user is a member of a call or ringing.
	Busy bool `json:"busy"`
	// State is "inCall", "ringing" or "" (free); CallID names the call.
	State  string `json:"state"`
	CallID string `json:"callID,omitempty"`
}

// await runs a room request and waits for its reply.
func await(f func(room.Reply)) (any, error) {
	type out struct {
		res any
		err error
	}
	ch := make(chan out, 1)
	f(func(res any, err error) { ch <- out{res, err} })
	o := <-ch
	return o.res, o.err
}

// nodeID returns this node's id in a cluster, "" on a single node.
func (s *Server) nodeID() string {
	if s.cfg.Cluster != nil {
		return s.cfg.Cluster.NodeID
	}
	return ""
}

// apiCall converts a room snapshot.
func (s *Server) apiCall(st room.CallState) APICall {
	c := APICall{CallState: wireCallState(st), Node: s.nodeID()}
	c.Media.Members = len(st.Members)
	for _, m := range st.Members {
		for _, t := range m.Tracks {
			c.Media.PublishedTracks++
			if t.Muted {
				c.Media.MutedTracks++
			}
		}
	}
	return c
}

// pathID reads and validates a path parameter.
func pathID(r *http.Request, name string, max int) (string, error) {
	v := r.PathValue(name)
	if !validID(v, max) {
		return "", badRequest("%s: not a valid id", name)
	}
	return v, nil
}

// queryLimit reads ?limit= within 1..max, def when absent.
func queryLimit(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, badRequest("limit must be 1..%d", max)
	}
	return n, nil
}

// apiListCalls lists the active calls, paged by call id.
func (s *Server) apiListCalls(w http.ResponseWriter, r *http.Request) (any, error) {
	limit, err := queryLimit(r, defaultAPICallsLimit, maxAPICallsLimit)
	if err != nil {
		return nil, err
	}
	after := r.URL.Query().Get("after")
	ids := s.mgr.ListCalls()
	slices.Sort(ids)
	out := APICallList{Calls: []APICall{}}
	for _, id := range ids {
		if after != "" && string(id) <= after {
			continue
		}
		if len(out.Calls) == limit {
			out.Next = out.Calls[len(out.Calls)-1].CallID
			break
		}
		res, err := await(func(reply room.Reply) { s.mgr.CallSnapshot(id, reply) })
		if err != nil {
			continue // ended meanwhile
		}
		out.Calls = append(out.Calls, s.apiCall(res.(room.CallState)))
	}
	return out, nil
}

// apiGetCall returns one active call.
func (s *Server) apiGetCall(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "callID", maxCallIDLen)
	if err != nil {
		return nil, err
	}
	res, err := await(func(reply room.Reply) { s.mgr.CallSnapshot(room.CallID(id), reply) })
	if err != nil {
		return nil, err
	}
	return s.apiCall(res.(room.CallState)), nil
}

// apiEndCall ends a call for everyone (callEnded reason endedByServer).
func (s *Server) apiEndCall(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "callID", maxCallIDLen)
	if err != nil {
		return nil, err
	}
	_, err = await(func(reply room.Reply) { s.mgr.ServerEnd(room.CallID(id), reply) })
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// apiRemove kicks members out.
func (s *Server) apiRemove(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "callID", maxCallIDLen)
	if err != nil {
		return nil, err
	}
	var req APIRemove
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if len(req.UserIDs) < 1 || len(req.UserIDs) > maxInvitees {
		return nil, badRequest("userIDs: 1 to %d users", maxInvitees)
	}
	for _, u := range req.UserIDs {
		if err := checkUserID("userIDs", u); err != nil {
			return nil, err
		}
	}
	_, err = await(func(reply room.Reply) { s.mgr.ServerRemove(room.CallID(id), userIDs(req.UserIDs), reply) })
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// apiSetDevice turns a member's camera or microphone off, or asks it on.
func (s *Server) apiSetDevice(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "callID", maxCallIDLen)
	if err != nil {
		return nil, err
	}
	var req APISetDevice
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkUserID("userID", req.UserID); err != nil {
		return nil, err
	}
	if req.Camera == nil && req.Microphone == nil {
		return nil, badRequest("camera or microphone is required")
	}
	_, err = await(func(reply room.Reply) {
		s.mgr.ServerSetDevice(room.CallID(id), room.UserID(req.UserID), req.Camera, req.Microphone, reply)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// apiStartCall starts a call on behalf of a user.
func (s *Server) apiStartCall(w http.ResponseWriter, r *http.Request) (any, error) {
	var req APIStartCall
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkUserID("inviter.id", req.Inviter.ID); err != nil {
		return nil, err
	}
	if !validName(req.Inviter.Name) {
		return nil, badRequest("inviter.name: invalid")
	}
	if err := req.InviteRequest.validate(); err != nil {
		return nil, err
	}
	inv := inviteFromWire(&req.InviteRequest)
	res, err := await(func(reply room.Reply) {
		s.mgr.StartOnBehalf(room.User{ID: room.UserID(req.Inviter.ID), Name: req.Inviter.Name}, inv, reply)
	})
	if err != nil {
		return nil, err
	}
	return wireResult(res), nil
}

// apiPresence reports a user's devices on this server and its call slot
// (the slot is cluster-wide when the index is shared).
func (s *Server) apiPresence(w http.ResponseWriter, r *http.Request) (any, error) {
	u, err := pathID(r, "userID", maxIDLen)
	if err != nil {
		return nil, err
	}
	p := APIPresence{UserID: u, Devices: s.hub.devicesOf(u)}
	p.Online = len(p.Devices) > 0
	if slot, ok := s.mgr.UserSlot(room.UserID(u)); ok {
		p.Busy, p.CallID, p.State = true, string(slot.Call), "ringing"
		if slot.Member {
			p.State = "inCall"
		}
	}
	return p, nil
}

// devicesOf lists the devices of user with a session on this node
// (connected or within their resume grace), sorted.
func (h *hub) devicesOf(user string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.byDevice[user]))
	for dev := range h.byDevice[user] {
		out = append(out, dev)
	}
	slices.Sort(out)
	return out
}
