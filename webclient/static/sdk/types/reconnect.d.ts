/**
 * Close codes after which the SDK does not try to resume: not authenticated,
 * unsupported protocol, rate limit, session taken over (PROTOCOL.md §8.14),
 * too many devices of this user (4010, PROTOCOL.md §9).
 */
export declare const FINAL_CLOSE_CODES: Set<number>;
/** Backoff before reconnect attempt n+1: doubling from 500 ms, capped, with jitter. */
export declare function backoffMs(attempt: any, maxMs?: number, random?: () => number): number;
export declare function detach(ws: any): void;
export declare const reconnectMethods: {
    /** The live socket closed without the app asking: resume if allowed. */
    _onDrop(code: any, reason: any): Promise<void>;
    _giveUp(code: any, reason: any): void;
    _startKeepalive(): void;
    _stopKeepalive(): void;
};
