import { Emitter } from './emitter.js';
import { MediaSession } from './media.js';
/** The protocol version this SDK speaks. */
export declare const PROTOCOL_VERSION = 1;
/**
 * Every server event of the contract, by its wire name. The client emits
 * each one under exactly this name with the message's `data` as payload.
 */
export declare const SERVER_EVENTS: readonly string[];
export type User = {
    id: string;
    name?: string;
};
export type IceServer = {
    urls: string[] | string;
    username?: string;
    credential?: string;
};
export type HelloResult = {
    sessionId: string;
    resumed: boolean;
    user: User;
    iceServers: IceServer[];
    pendingInvitations: object[];
    call: object | null;
};
export type RequestOptions = {
    timeoutMs?: number;
};
/**
 * @typedef {{id: string, name?: string}} User
 * @typedef {{urls: string[]|string, username?: string, credential?: string}} IceServer
 * @typedef {{sessionId: string, resumed: boolean, user: User, iceServers: IceServer[],
 *            pendingInvitations: object[], call: object|null}} HelloResult
 * @typedef {{timeoutMs?: number}} RequestOptions
 */
/**
 * A connection to a ringsfu server for one user on one device.
 *
 * Events (subscribe with `on(name, fn)`):
 * - every server event of the contract under its wire name, payload = `data`:
 *   `incomingCall`, `incomingCallCanceled`, `incomingCallTimeout`,
 *   `incomingCallAnsweredElsewhere`, `outgoingCallAccepted`,
 *   `outgoingCallDeclined`, `outgoingCallRejectedCauseBusy`,
 *   `outgoingCallTimeout`, `invitationStateChanged`, `callEnded`, `userJoined`,
 *   `userLeft`, `removed`, `deviceState`, `deviceControlled`, `deviceRequest`,
 *   `tracks`, `offer`, `trickle`;
 * - `event` `{type, data}` for every server event (including unknown ones);
 * - `error` — a RingsfuError from a server `error` without request id;
 * - `connected` (HelloResult) after the first hello;
 * - `reconnecting` `{code, reason, attempt}` when the socket dropped and the
 *   SDK is trying to resume; `reconnected` (HelloResult; check `resumed`);
 * - `disconnected` `{code, reason, final}` when the connection is gone for
 *   good (closed by the app, refused, taken over (4009), ended by a newer
 *   device over the server's device cap (4010), or resume failed);
 * - `track`, `trackRemoved`, `mediaState` re-emitted from the media session,
 *   and its `error` as `mediaError`.
 */
export declare class RingsfuClient extends Emitter {
    options: {
        requestTimeoutMs: number;
        reconnectWindowMs: number;
        reconnectMaxDelayMs: number;
        keepaliveMs: number;
        WebSocket: {
            new (url: string | URL, protocols?: string | string[]): WebSocket;
            prototype: WebSocket;
            readonly CONNECTING: 0;
            readonly OPEN: 1;
            readonly CLOSING: 2;
            readonly CLOSED: 3;
        };
    };
    /** @type {'idle'|'connecting'|'open'|'reconnecting'|'closed'} */
    state: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';
    /** @type {string|null} The current session id. */
    sessionId: string | null;
    /** @type {User|null} The signed-in user. */
    user: User | null;
    /** @type {IceServer[]} ICE servers from the last hello result. */
    iceServers: IceServer[];
    /** @type {string|null} The call this device is a member of, as far as the SDK knows. */
    callID: string | null;
    /** @type {string|null} */
    deviceId: string | null;
    _url: string | null;
    _token: string | (() => string | Promise<string>) | null;
    _ws: any;
    _seq: number;
    /** @type {Map<string, {resolve: Function, reject: Function, timer: any, type: string}>} */
    _pending: Map<string, {
        resolve: Function;
        reject: Function;
        timer: any;
        type: string;
    }>;
    /** Requests made while reconnecting; sent once the session is back. */
    _queued: any[];
    /** @type {Map<string, MediaSession>} */
    _media: Map<string, MediaSession>;
    /** @type {Map<string, Array<{type: string, data: any}>>} */
    _mediaBuffer: Map<string, Array<{
        type: string;
        data: any;
    }>>;
    _keepaliveTimer: any;
    /**
     * @param {object} [options]
     * @param {number} [options.requestTimeoutMs=10000] How long a request waits for its reply.
     * @param {number} [options.reconnectWindowMs=30000] How long after a drop the SDK keeps
     *   trying to reconnect (Infinity: until it succeeds or the app closes the
     *   client). Within the server's grace period (default 20 s) the session
     *   resumes; after it, a fresh session is obtained (`resumed:false`).
     * @param {number} [options.reconnectMaxDelayMs=10000] The longest wait between two
     *   reconnect attempts (the wait doubles from 500 ms, with ±25 % jitter).
     * @param {number} [options.keepaliveMs=20000] Interval of application pings used to
     *   detect a dead connection (0 disables).
     * @param {typeof WebSocket} [options.WebSocket] WebSocket implementation (default: the global).
     */
    constructor(options?: {
        requestTimeoutMs?: number;
        reconnectWindowMs?: number;
        reconnectMaxDelayMs?: number;
        keepaliveMs?: number;
        WebSocket?: typeof WebSocket;
    });
    /**
     * Opens the WebSocket and says hello. Resolves with the hello result
     * (`sessionId`, `resumed`, `user`, `iceServers`, `pendingInvitations`,
     * `call`); rejects with a RingsfuError (`unauthorized`, `bad_request`,
     * `disconnected`, `timeout`).
     * @param {object} opts
     * @param {string} [opts.url] WebSocket URL; default `/v1/signal` on the page's host.
     * @param {string|(() => string|Promise<string>)} opts.token A JWT, or a function returning
     *   one (called again for every reconnect, so it can refresh an expiring token).
     * @param {string} [opts.deviceId] This device's id (`[A-Za-z0-9_.@-]`, ≤ 64); default a random one.
     * @param {string} [opts.resume] A previous sessionId to resume.
     * @returns {Promise<HelloResult>}
     */
    connect({ url, token, deviceId, resume }?: {
        url?: string;
        token: string | (() => string | Promise<string>);
        deviceId?: string;
        resume?: string;
    }): Promise<HelloResult>;
    /**
     * Closes the connection for good (no resume), closes every media session
     * and rejects outstanding requests with code `closed`. The server keeps the
     * session for its grace period, then the user leaves with reason
     * `disconnected`; call {@link RingsfuClient#leave} first to hang up at once.
     */
    close(): void;
    /**
     * Sends any request and resolves with its `result` data (or `{}` for a
     * `pong`); rejects with a RingsfuError carrying the server's `code`.
     * While the SDK is reconnecting, the request waits and is sent after the
     * session is back (within its timeout).
     * @param {string} type Message type.
     * @param {object} [data] Message data.
     * @param {RequestOptions} [opts]
     * @returns {Promise<any>}
     */
    request(type: string, data?: object, opts?: RequestOptions): Promise<any>;
    /**
     * Sends a message without id: the server processes it and replies only on
     * failure (as an `error` event). Returns false if not connected.
     * @param {string} type Message type.
     * @param {object} [data] Message data.
     * @returns {boolean}
     */
    notify(type: string, data?: object): boolean;
    /**
     * Invites users (creating a call, or "invite in calling"). Invitees may be
     * given as ids or `User` objects.
     * @param {object} req
     * @param {Array<string|User>} req.invitees 1–9 users.
     * @param {'video'|'voice'} req.type Call type.
     * @param {string} [req.callID] Call id (generated by the server if omitted).
     * @param {string} [req.customData]
     * @param {number} [req.timeoutSeconds] 1–600, default 60.
     * @param {{title?: string, message?: string, resourceID?: string}} [req.notification]
     * @param {{canInvitingInCalling?: boolean, onlyInitiatorCanInvite?: boolean, endCallWhenInitiatorLeave?: boolean}} [req.callConfig]
     * @param {RequestOptions} [opts]
     * @returns {Promise<{callID: string, invitationID: string, invitees: Array<{user: User, state: string, skipped: boolean}>, merged?: boolean}>}
     */
    invite(req: {
        invitees: Array<string | User>;
        type: 'video' | 'voice';
        callID?: string;
        customData?: string;
        timeoutSeconds?: number;
        notification?: {
            title?: string;
            message?: string;
            resourceID?: string;
        };
        callConfig?: {
            canInvitingInCalling?: boolean;
            onlyInitiatorCanInvite?: boolean;
            endCallWhenInitiatorLeave?: boolean;
        };
    }, opts?: RequestOptions): Promise<{
        callID: string;
        invitationID: string;
        invitees: Array<{
            user: User;
            state: string;
            skipped: boolean;
        }>;
        merged?: boolean;
    }>;
    /**
     * Cancels invitations this user sent (all waiting ones it invited when
     * `userIDs` is omitted).
     * @param {{callID: string, userIDs?: string[], customData?: string}|string} req Request data, or a callID.
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>}
     */
    cancel(req: {
        callID: string;
        userIDs?: string[];
        customData?: string;
    } | string, opts?: RequestOptions): Promise<object>;
    /**
     * Accepts an invitation; resolves with the call's `CallState`.
     * @param {{callID: string, customData?: string}|string} req Request data, or a callID.
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>} CallState.
     */
    accept(req: {
        callID: string;
        customData?: string;
    } | string, opts?: RequestOptions): Promise<object>;
    /**
     * Rejects an invitation.
     * @param {{callID: string, customData?: string, reason?: 'declined'|'busy'}|string} req Request data, or a callID.
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>}
     */
    reject(req: {
        callID: string;
        customData?: string;
        reason?: 'declined' | 'busy';
    } | string, opts?: RequestOptions): Promise<object>;
    /**
     * Joins a call by id (creating it if needed; `type` is then required).
     * Resolves with the `CallState`.
     * @param {{callID: string, type?: 'video'|'voice', callConfig?: object}} req
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>} CallState.
     */
    join(req: {
        callID: string;
        type?: 'video' | 'voice';
        callConfig?: object;
    }, opts?: RequestOptions): Promise<object>;
    /**
     * Leaves (hangs up) a call; its media session, if any, is closed.
     * @param {{callID: string}|string} req Request data, or a callID.
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>}
     */
    leave(req: {
        callID: string;
    } | string, opts?: RequestOptions): Promise<object>;
    /**
     * Removes (kicks out) members; initiator only.
     * @param {{callID: string, userIDs: string[]}} req
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>}
     */
    remove(req: {
        callID: string;
        userIDs: string[];
    }, opts?: RequestOptions): Promise<object>;
    /**
     * Announces this member's device state (at least one field).
     * @param {{callID: string, camera?: boolean, microphone?: boolean, audioRoute?: 'speaker'|'earpiece'|'headphone'|'bluetooth'|'usb'|'airplay'}} req
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>}
     */
    setDevice(req: {
        callID: string;
        camera?: boolean;
        microphone?: boolean;
        audioRoute?: 'speaker' | 'earpiece' | 'headphone' | 'bluetooth' | 'usb' | 'airplay';
    }, opts?: RequestOptions): Promise<object>;
    /**
     * Turns another member's camera/microphone off (applied at once) or asks
     * to turn it on; initiator only.
     * @param {{callID: string, userID: string, camera?: boolean, microphone?: boolean}} req
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>}
     */
    setRemoteDevice(req: {
        callID: string;
        userID: string;
        camera?: boolean;
        microphone?: boolean;
    }, opts?: RequestOptions): Promise<object>;
    /**
     * Picks the simulcast layer of a received track, or pauses it (`off`).
     * @param {{callID: string, trackID: string, quality: 'low'|'medium'|'high'|'off'}} req
     * @param {RequestOptions} [opts]
     * @returns {Promise<object>}
     */
    subscribe(req: {
        callID: string;
        trackID: string;
        quality: 'low' | 'medium' | 'high' | 'off';
    }, opts?: RequestOptions): Promise<object>;
    /**
     * Reads a page of the signed-in user's call history, newest first
     * (PROTOCOL.md §9.3). Pass the previous result's `nextBefore` as `before`
     * for the next page.
     * @param {{limit?: number, before?: string}} [req]
     * @param {RequestOptions} [opts]
     * @returns {Promise<{entries: Array<{callID: string, type: string, direction: 'outgoing'|'incoming',
     *   outcome: 'answered'|'missed'|'declined'|'canceled'|'busy'|'noAnswer'|'ongoing', peers: Array<{id: string, name: string}>,
     *   startedAt: string, duration: number, seen: boolean}>, nextBefore?: string, missedCalls: number}>}
     */
    callHistory(req?: {
        limit?: number;
        before?: string;
    }, opts?: RequestOptions): Promise<{
        entries: Array<{
            callID: string;
            type: string;
            direction: 'outgoing' | 'incoming';
            outcome: 'answered' | 'missed' | 'declined' | 'canceled' | 'busy' | 'noAnswer' | 'ongoing';
            peers: Array<{
                id: string;
                name: string;
            }>;
            startedAt: string;
            duration: number;
            seen: boolean;
        }>;
        nextBefore?: string;
        missedCalls: number;
    }>;
    /**
     * Marks the user's missed calls seen; resolves with the unseen count left.
     * @param {RequestOptions} [opts]
     * @returns {Promise<{missedCalls: number}>}
     */
    markMissedSeen(opts?: RequestOptions): Promise<{
        missedCalls: number;
    }>;
    /**
     * Registers a push target of this device (PROTOCOL.md §9.6): an APNs or
     * FCM token, or a Web Push subscription (`subscription.toJSON()`).
     * Registering the same target again updates it.
     * @param {{provider: 'apns'|'fcm'|'webpush', token?: string,
     *   subscription?: {endpoint: string, keys: {p256dh: string, auth: string}},
     *   voip?: boolean, appID?: string, locale?: string}} req
     * @param {RequestOptions} [opts]
     * @returns {Promise<{registrationID: string}>}
     */
    registerPush(req: {
        provider: 'apns' | 'fcm' | 'webpush';
        token?: string;
        subscription?: {
            endpoint: string;
            keys: {
                p256dh: string;
                auth: string;
            };
        };
        voip?: boolean;
        appID?: string;
        locale?: string;
    }, opts?: RequestOptions): Promise<{
        registrationID: string;
    }>;
    /**
     * Removes one push registration of the user, or every registration of
     * this device when `registrationID` is absent (§9.6).
     * @param {{registrationID?: string}} [req]
     * @param {RequestOptions} [opts]
     * @returns {Promise<{removed: number}>}
     */
    unregisterPush(req?: {
        registrationID?: string;
    }, opts?: RequestOptions): Promise<{
        removed: number;
    }>;
    /**
     * Round-trips a `ping`; resolves with the round-trip time in ms.
     * @param {RequestOptions} [opts]
     * @returns {Promise<number>}
     */
    ping(opts?: RequestOptions): Promise<number>;
    /**
     * Creates (or returns) the media session of a call: the publisher and
     * subscriber RTCPeerConnections, configured with the hello result's
     * iceServers. Server `offer`/`trickle` events of the call that arrived
     * before are replayed into it.
     * @param {string} [callID] Default: the call this device is in.
     * @param {object} [opts]
     * @param {RTCConfiguration} [opts.rtcConfig] Extra RTCPeerConnection configuration.
     * @returns {MediaSession}
     */
    startMedia(callID?: string, opts?: {
        rtcConfig?: RTCConfiguration;
    }): MediaSession;
    /**
     * The media session of a call, if started.
     * @param {string} [callID] Default: the call this device is in.
     * @returns {MediaSession|undefined}
     */
    media(callID?: string): MediaSession | undefined;
    /**
     * Publishes a stream's tracks in the current call's media session
     * (see {@link MediaSession#publish}).
     * @param {MediaStream} stream
     * @param {object} [opts] Options of {@link MediaSession#publish}.
     * @returns {Promise<Array<{mid: string, source: string, track: MediaStreamTrack}>>}
     */
    publish(stream: MediaStream, opts?: object): Promise<Array<{
        mid: string;
        source: string;
        track: MediaStreamTrack;
    }>>;
    /**
     * Stops publishing tracks in the current call (see {@link MediaSession#unpublish}).
     * @param {MediaStream|MediaStreamTrack|string} what A stream, a track, or a source name.
     * @returns {Promise<void>}
     */
    unpublish(what: MediaStream | MediaStreamTrack | string): Promise<void>;
    /**
     * Swaps a published track without renegotiation (see {@link MediaSession#replaceTrack}).
     * @param {MediaStreamTrack|string} oldTrackOrSource
     * @param {MediaStreamTrack|null} newTrack
     * @returns {Promise<void>}
     */
    replaceTrack(oldTrackOrSource: MediaStreamTrack | string, newTrack: MediaStreamTrack | null): Promise<void>;
    _requireMedia(): MediaSession;
    _adoptHello(result: any): void;
    /** Opens a socket and completes hello; resolves with the hello result. */
    _open(resume: any): Promise<any>;
    /** Makes `ws` the live socket of the client. */
    _attach(ws: any): void;
    _sendRequest(entry: any): void;
    _onMessage(raw: any): void;
    _onEvent(type: any, data: any): void;
    _endCall(callID: any): void;
    /** Sends the requests that waited for the session. */
    _flushQueued(): void;
    _failAll(code: any, message: any): void;
}
