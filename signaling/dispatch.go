package signaling

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ringsfu/ringsfu/room"
)

// rawEnvelope is a client message before its fields are type-checked.
type rawEnvelope struct {
	ID   json.RawMessage `json:"id"`
	Type json.RawMessage `json:"type"`
	Data json.RawMessage `json:"data"`
}

// parsedEnvelope is a client message with its id and type read.
type parsedEnvelope struct {
	id     *string // nil: no readable id
	idBad  bool    // an id is present but is not a string (nor null)
	typ    string
	data   json.RawMessage
	typeOK bool // type present and a string
}

// parseEnvelope reads the envelope; ok is false for malformed JSON or a
// message that is not an object.
func parseEnvelope(data []byte) (parsedEnvelope, bool) {
	var raw rawEnvelope
	// JSON text is UTF-8 (RFC 8259 §8.1); decoding would silently turn
	// invalid bytes into U+FFFD, changing ids and customData.
	if !utf8.Valid(data) {
		return parsedEnvelope{}, false
	}
	// Only JSON whitespace may surround the object (RFC 8259 §2);
	// bytes.TrimSpace would also accept \v, \f, U+0085 and U+00A0.
	trimmed := bytes.Trim(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return parsedEnvelope{}, false
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return parsedEnvelope{}, false
	}
	var p parsedEnvelope
	if len(raw.ID) > 0 {
		var id string
		switch {
		case bytes.Equal(raw.ID, []byte("null")): // null is no id
		case json.Unmarshal(raw.ID, &id) == nil:
			p.id = &id
		default:
			p.idBad = true
		}
	}
	if len(raw.Type) > 0 {
		p.typeOK = json.Unmarshal(raw.Type, &p.typ) == nil && !bytes.Equal(raw.Type, []byte("null"))
	}
	p.data = raw.Data
	return p, true
}

// idTooLong reports whether an envelope id is over 64 characters, counted
// in code points as the contract counts "chars" (PROTOCOL.md §2, §8 rule 4).
func idTooLong(id *string) bool {
	return id != nil && len(*id) > maxEnvelopeIDLen && utf8.RuneCountInString(*id) > maxEnvelopeIDLen
}

// decodeRequest decodes and validates the data of a request of a known
// type. Missing data decodes as an empty object.
func decodeRequest(typ string, data json.RawMessage, kinds map[string]func() validator) (validator, error) {
	mk, ok := kinds[typ]
	if !ok {
		return nil, badRequest("unknown message type %q", typ)
	}
	v := mk()
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, badRequest("data: %v", err)
	}
	if err := v.validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// encodeEvent builds a server event message (no id).
func encodeEvent(typ string, body any) ([]byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return appendEnvelope(nil, typ, data)
}

// sendError queues an error reply; id nil sends it without id.
func (c *conn) sendError(id *string, code, msg string) {
	c.srv.metrics.errors.WithLabelValues(code).Inc()
	b, err := json.Marshal(Envelope{ID: id, Type: TypeError, Error: &ErrorBody{Code: code, Message: msg}})
	if err != nil {
		return
	}
	c.enqueue(b)
}

// sendErr queues the error reply for err.
func (c *conn) sendErr(id *string, err error) {
	c.sendError(id, codeFor(err), messageFor(err))
}

// sendResult queues a result reply; nothing is sent for a request without id.
func (c *conn) sendResult(id *string, body any) {
	if id == nil {
		return
	}
	b, err := c.encodeResult(id, body)
	if err != nil {
		c.log.Error().Err(err).Msg("encode result")
		c.sendError(id, CodeInternal, "internal error")
		return
	}
	c.enqueue(b)
}

// encodeResult builds a result message.
func (c *conn) encodeResult(id *string, body any) ([]byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return appendEnvelope(id, TypeResult, data)
}

// reply returns the room.Reply that answers request id, converting room
// results to their wire form.
func (c *conn) reply(id *string) room.Reply {
	return func(res any, err error) {
		if err != nil {
			c.sendErr(id, err)
			return
		}
		c.sendResult(id, wireResult(res))
	}
}

// handleHello processes the first message(s) of a connection (PROTOCOL.md
// §1, §3, §8 rule 1).
func (c *conn) handleHello(data []byte) {
	env, ok := parseEnvelope(data)
	fail := func(msg string) {
		id := env.id
		if idTooLong(id) {
			id = nil
		}
		c.sendError(id, CodeUnauthorized, msg)
		c.closeWith(CloseUnauthorized, "unauthorized")
	}
	if !ok {
		fail("malformed message; send hello first")
		return
	}
	if !env.typeOK || env.typ != TypeHello {
		fail("the first message must be hello")
		return
	}
	c.srv.metrics.messagesIn.WithLabelValues(TypeHello).Inc()
	if idTooLong(env.id) {
		fail("id too long")
		return
	}
	if env.idBad {
		fail("id must be a string")
		return
	}
	// A protocol that is present, well-typed and not 1 is the one case
	// answered with bad_request and 4002.
	var probe struct {
		Protocol json.RawMessage `json:"protocol"`
	}
	if len(env.data) > 0 && json.Unmarshal(env.data, &probe) == nil && len(probe.Protocol) > 0 &&
		!bytes.Equal(probe.Protocol, []byte("null")) { // null is a missing protocol: 4001
		var v int
		if json.Unmarshal(probe.Protocol, &v) == nil && v != ProtocolVersion {
			c.sendError(env.id, CodeBadRequest, fmt.Sprintf("unsupported protocol %d; supported versions: [%d]", v, ProtocolVersion))
			c.closeWith(CloseBadProtocol, "unsupported protocol")
			return
		}
	}
	v, err := decodeRequest(TypeHello, env.data, c.srv.kinds)
	if err != nil {
		fail("invalid hello: " + err.Error())
		return
	}
	hello := v.(*HelloRequest)
	ident, err := c.srv.verifier.Verify(hello.Token)
	if err != nil {
		fail(err.Error())
		return
	}
	c.srv.signIn(c, env.id, ident, hello)
}

// handleMessage processes one message after hello.
func (c *conn) handleMessage(data []byte) {
	env, ok := parseEnvelope(data)
	now := time.Now()
	if !c.bucket.allow(now) {
		id := env.id
		if idTooLong(id) {
			id = nil
		}
		c.sendError(id, CodeRateLimited, "rate limit exceeded")
		if c.refusals.add(now) {
			c.log.Warn().Msg("rate limit: too many refused messages, closing")
			c.closeWith(CloseRateLimited, "rate limit")
		}
		return
	}
	if !ok {
		c.sendError(nil, CodeBadRequest, "malformed JSON message")
		return
	}
	if idTooLong(env.id) {
		c.sendError(nil, CodeBadRequest, "id longer than 64 characters")
		return
	}
	if env.idBad {
		// An ill-typed id is an ill-typed field (PROTOCOL.md §1); it is
		// not silently treated as a request without id.
		c.sendError(nil, CodeBadRequest, "id must be a string")
		return
	}
	if !env.typeOK {
		c.sendError(env.id, CodeBadRequest, "missing or ill-typed type")
		return
	}
	if _, known := c.srv.kinds[env.typ]; !known {
		c.srv.metrics.messagesIn.WithLabelValues("unknown").Inc()
		c.sendError(env.id, CodeBadRequest, fmt.Sprintf("unknown message type %q", env.typ))
		return
	}
	c.srv.metrics.messagesIn.WithLabelValues(env.typ).Inc()
	if env.typ == TypePing {
		b, _ := appendEnvelope(env.id, TypePong, nil)
		c.enqueue(b)
		return
	}
	if env.typ == TypeHello {
		c.sendError(env.id, CodeBadRequest, "already signed in")
		return
	}
	v, err := decodeRequest(env.typ, env.data, c.srv.kinds)
	if err != nil {
		c.sendErr(env.id, err)
		return
	}
	c.srv.handle(c, env.id, v)
}
