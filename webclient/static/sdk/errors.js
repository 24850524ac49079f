// Errors raised by the SDK.

/**
 * Wire error codes (PROTOCOL.md §2) plus the SDK's own:
 * `timeout` (no reply in time), `disconnected` (the connection was lost
 * before the reply came, or could not be resumed) and `closed` (the client
 * was closed by the application).
 * @typedef {'bad_request'|'unauthorized'|'not_found'|'not_permitted'|'busy'|'conflict'|'rate_limited'|'too_large'|'unavailable'|'internal'|'timeout'|'disconnected'|'closed'} ErrorCode
 */

/**
 * An error with a machine-readable `code`: a server `error` reply, or one of
 * the SDK's own failures.
 */
export class RingsfuError extends Error {
  /**
   * @param {ErrorCode|string} code Error code.
   * @param {string} [message] Human-readable message.
   * @param {{type?: string, id?: string}} [info] The request type and id, if any.
   */
  constructor(code, message, info = {}) {
    super(message || code);
    this.name = 'RingsfuError';
    /** @type {string} */
    this.code = code;
    /** @type {string|undefined} The request type that failed. */
    this.requestType = info.type;
    /** @type {string|undefined} The request id that failed. */
    this.requestId = info.id;
  }
}
