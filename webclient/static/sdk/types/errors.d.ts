export type ErrorCode = 'bad_request' | 'unauthorized' | 'not_found' | 'not_permitted' | 'busy' | 'conflict' | 'rate_limited' | 'too_large' | 'unavailable' | 'internal' | 'timeout' | 'disconnected' | 'closed';
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
export declare class RingsfuError extends Error {
    /** @type {string} */
    code: string;
    /** @type {string|undefined} The request type that failed. */
    requestType: string | undefined;
    /** @type {string|undefined} The request id that failed. */
    requestId: string | undefined;
    /**
     * @param {ErrorCode|string} code Error code.
     * @param {string} [message] Human-readable message.
     * @param {{type?: string, id?: string}} [info] The request type and id, if any.
     */
    constructor(code: ErrorCode | string, message?: string, info?: {
        type?: string;
        id?: string;
    });
}
