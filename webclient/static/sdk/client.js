// RingsfuClient: the signaling connection (PROTOCOL.md §1–§5), automatic
// resume, request helpers and server events. Media lives in media.js.

import { Emitter } from './emitter.js';
import { RingsfuError } from './errors.js';
import { MediaSession } from './media.js';
import { reconnectMethods, detach } from './reconnect.js';

/** The protocol version this SDK speaks. */
export const PROTOCOL_VERSION = 1;

/** Server events the SDK routes to a media session (besides emitting them). */
const MEDIA_EVENTS = new Set(['offer', 'trickle', 'mediaReset', 'publisherLayers']);

/** How many media events are kept for a call whose media has not started. */
const MEDIA_BUFFER_LIMIT = 200;

/**
 * Every server event of the contract, by its wire name. The client emits
 * each one under exactly this name with the message's `data` as payload.
 */
export const SERVER_EVENTS = Object.freeze([
  'incomingCall', 'incomingCallCanceled', 'incomingCallTimeout', 'incomingCallAnsweredElsewhere',
  'outgoingCallAccepted', 'outgoingCallDeclined', 'outgoingCallRejectedCauseBusy', 'outgoingCallTimeout',
  'invitationStateChanged', 'callEnded', 'userJoined', 'userLeft', 'removed',
  'deviceState', 'deviceControlled', 'deviceRequest', 'tracks', 'offer', 'trickle', 'mediaReset',
  'publisherLayers',
]);

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
export class RingsfuClient extends Emitter {
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
  constructor(options = {}) {
    super();
    this.options = {
      requestTimeoutMs: 10000,
      reconnectWindowMs: 30000,
      reconnectMaxDelayMs: 10000,
      keepaliveMs: 20000,
      WebSocket: globalThis.WebSocket,
      ...options,
    };
    /** @type {'idle'|'connecting'|'open'|'reconnecting'|'closed'} */
    this.state = 'idle';
    /** @type {string|null} The current session id. */
    this.sessionId = null;
    /** @type {User|null} The signed-in user. */
    this.user = null;
    /** @type {IceServer[]} ICE servers from the last hello result. */
    this.iceServers = [];
    /** @type {string|null} The call this device is a member of, as far as the SDK knows. */
    this.callID = null;
    /** @type {string|null} */
    this.deviceId = null;
    this._url = null;
    this._token = null;
    this._ws = null;
    this._seq = 0;
    /** @type {Map<string, {resolve: Function, reject: Function, timer: any, type: string}>} */
    this._pending = new Map();
    /** Requests made while reconnecting; sent once the session is back. */
    this._queued = [];
    /** @type {Map<string, MediaSession>} */
    this._media = new Map();
    /** @type {Map<string, Array<{type: string, data: any}>>} */
    this._mediaBuffer = new Map();
    this._keepaliveTimer = null;
  }

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
  async connect({ url, token, deviceId, resume } = {}) {
    if (this.state === 'open' || this.state === 'connecting') {
      throw new RingsfuError('conflict', `already ${this.state}`);
    }
    if (!token) throw new RingsfuError('bad_request', 'token is required');
    this._url = url || defaultSignalURL();
    this._token = token;
    this.deviceId = deviceId || this.deviceId || randomDeviceId();
    this.state = 'connecting';
    try {
      const result = await this._open(resume || undefined);
      this.state = 'open';
      this._adoptHello(result);
      this._flushQueued();
      this.emit('connected', result);
      return result;
    } catch (err) {
      this.state = 'closed';
      this._failAll('disconnected', err.message);
      throw err;
    }
  }

  /**
   * Closes the connection for good (no resume), closes every media session
   * and rejects outstanding requests with code `closed`. The server keeps the
   * session for its grace period, then the user leaves with reason
   * `disconnected`; call {@link RingsfuClient#leave} first to hang up at once.
   */
  close() {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this._stopKeepalive();
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      detach(ws);
      try { ws.close(1000, 'client closed'); } catch { /* already closed */ }
    }
    this._failAll('closed', 'client closed');
    for (const m of [...this._media.values()]) m.close();
    this._mediaBuffer.clear();
    this.emit('disconnected', { code: 1000, reason: 'client closed', final: true });
  }

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
  request(type, data, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const entry = { type, data, resolve, reject, timer: null, id: null };
      entry.timer = setTimeout(() => {
        this._pending.delete(entry.id);
        this._queued = this._queued.filter((q) => q !== entry);
        reject(new RingsfuError('timeout', `${type}: no reply within ${timeoutMs} ms`, { type, id: entry.id }));
      }, timeoutMs);
      if (this.state === 'reconnecting' || this.state === 'connecting') {
        this._queued.push(entry);
      } else if (this.state !== 'open') {
        clearTimeout(entry.timer);
        reject(new RingsfuError('disconnected', `${type}: not connected`, { type }));
      } else {
        this._sendRequest(entry);
      }
    });
  }

  /**
   * Sends a message without id: the server processes it and replies only on
   * failure (as an `error` event). Returns false if not connected.
   * @param {string} type Message type.
   * @param {object} [data] Message data.
   * @returns {boolean}
   */
  notify(type, data) {
    if (this.state !== 'open' || !this._ws) return false;
    this._ws.send(JSON.stringify(data === undefined ? { type } : { type, data }));
    return true;
  }

  // ---- request helpers (PROTOCOL.md §4, §5, §6) ----

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
  async invite(req, opts) {
    const data = { ...req, invitees: (req.invitees || []).map((u) => (typeof u === 'string' ? { id: u } : u)) };
    const res = await this.request('invite', data, opts);
    if (res && res.callID) this.callID = res.callID;
    return res;
  }

  /**
   * Cancels invitations this user sent (all waiting ones it invited when
   * `userIDs` is omitted).
   * @param {{callID: string, userIDs?: string[], customData?: string}|string} req Request data, or a callID.
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>}
   */
  cancel(req, opts) {
    return this.request('cancel', asCall(req), opts);
  }

  /**
   * Accepts an invitation; resolves with the call's `CallState`.
   * @param {{callID: string, customData?: string}|string} req Request data, or a callID.
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>} CallState.
   */
  async accept(req, opts) {
    const res = await this.request('accept', asCall(req), opts);
    if (res && res.callID) this.callID = res.callID;
    return res;
  }

  /**
   * Rejects an invitation.
   * @param {{callID: string, customData?: string, reason?: 'declined'|'busy'}|string} req Request data, or a callID.
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>}
   */
  reject(req, opts) {
    return this.request('reject', asCall(req), opts);
  }

  /**
   * Joins a call by id (creating it if needed; `type` is then required).
   * Resolves with the `CallState`.
   * @param {{callID: string, type?: 'video'|'voice', callConfig?: object}} req
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>} CallState.
   */
  async join(req, opts) {
    const res = await this.request('join', req, opts);
    if (res && res.callID) this.callID = res.callID;
    return res;
  }

  /**
   * Leaves (hangs up) a call; its media session, if any, is closed.
   * @param {{callID: string}|string} req Request data, or a callID.
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>}
   */
  async leave(req, opts) {
    const data = asCall(req);
    try {
      return await this.request('leave', data, opts);
    } finally {
      this._endCall(data.callID);
    }
  }

  /**
   * Removes (kicks out) members; initiator only.
   * @param {{callID: string, userIDs: string[]}} req
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>}
   */
  remove(req, opts) {
    return this.request('remove', req, opts);
  }

  /**
   * Announces this member's device state (at least one field).
   * @param {{callID: string, camera?: boolean, microphone?: boolean, audioRoute?: 'speaker'|'earpiece'|'headphone'|'bluetooth'|'usb'|'airplay'}} req
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>}
   */
  setDevice(req, opts) {
    return this.request('setDevice', req, opts);
  }

  /**
   * Turns another member's camera/microphone off (applied at once) or asks
   * to turn it on; initiator only.
   * @param {{callID: string, userID: string, camera?: boolean, microphone?: boolean}} req
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>}
   */
  setRemoteDevice(req, opts) {
    return this.request('setRemoteDevice', req, opts);
  }

  /**
   * Picks the simulcast layer of a received track, or pauses it (`off`).
   * @param {{callID: string, trackID: string, quality: 'low'|'medium'|'high'|'off'}} req
   * @param {RequestOptions} [opts]
   * @returns {Promise<object>}
   */
  subscribe(req, opts) {
    return this.request('subscribe', req, opts);
  }

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
  callHistory(req = {}, opts) {
    return this.request('callHistory', req, opts);
  }

  /**
   * Marks the user's missed calls seen; resolves with the unseen count left.
   * @param {RequestOptions} [opts]
   * @returns {Promise<{missedCalls: number}>}
   */
  markMissedSeen(opts) {
    return this.request('markMissedSeen', {}, opts);
  }

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
  registerPush(req, opts) {
    return this.request('registerPush', req, opts);
  }

  /**
   * Removes one push registration of the user, or every registration of
   * this device when `registrationID` is absent (§9.6).
   * @param {{registrationID?: string}} [req]
   * @param {RequestOptions} [opts]
   * @returns {Promise<{removed: number}>}
   */
  unregisterPush(req = {}, opts) {
    return this.request('unregisterPush', req, opts);
  }

  /**
   * Round-trips a `ping`; resolves with the round-trip time in ms.
   * @param {RequestOptions} [opts]
   * @returns {Promise<number>}
   */
  async ping(opts) {
    const t0 = performance.now();
    await this.request('ping', undefined, opts);
    return performance.now() - t0;
  }

  // ---- media ----

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
  startMedia(callID = this.callID, opts = {}) {
    if (!callID) throw new RingsfuError('bad_request', 'startMedia: no callID');
    let m = this._media.get(callID);
    if (m) return m;
    m = new MediaSession(this, callID, { iceServers: this.iceServers, rtcConfig: opts.rtcConfig });
    this._media.set(callID, m);
    m.on('track', (e) => this.emit('track', e));
    m.on('trackRemoved', (e) => this.emit('trackRemoved', e));
    m.on('mediaState', (e) => this.emit('mediaState', e));
    m.on('error', (e) => this.emit('mediaError', e));
    m.on('closed', () => {
      if (this._media.get(callID) === m) this._media.delete(callID);
    });
    const buffered = this._mediaBuffer.get(callID) || [];
    this._mediaBuffer.delete(callID);
    for (const ev of buffered) m.handleSignal(ev.type, ev.data);
    return m;
  }

  /**
   * The media session of a call, if started.
   * @param {string} [callID] Default: the call this device is in.
   * @returns {MediaSession|undefined}
   */
  media(callID = this.callID) {
    return this._media.get(callID);
  }

  /**
   * Publishes a stream's tracks in the current call's media session
   * (see {@link MediaSession#publish}).
   * @param {MediaStream} stream
   * @param {object} [opts] Options of {@link MediaSession#publish}.
   * @returns {Promise<Array<{mid: string, source: string, track: MediaStreamTrack}>>}
   */
  publish(stream, opts) {
    return this._requireMedia().publish(stream, opts);
  }

  /**
   * Stops publishing tracks in the current call (see {@link MediaSession#unpublish}).
   * @param {MediaStream|MediaStreamTrack|string} what A stream, a track, or a source name.
   * @returns {Promise<void>}
   */
  unpublish(what) {
    return this._requireMedia().unpublish(what);
  }

  /**
   * Swaps a published track without renegotiation (see {@link MediaSession#replaceTrack}).
   * @param {MediaStreamTrack|string} oldTrackOrSource
   * @param {MediaStreamTrack|null} newTrack
   * @returns {Promise<void>}
   */
  replaceTrack(oldTrackOrSource, newTrack) {
    return this._requireMedia().replaceTrack(oldTrackOrSource, newTrack);
  }

  // ---- internals ----

  _requireMedia() {
    const m = this._media.get(this.callID);
    if (!m) throw new RingsfuError('bad_request', 'no media session: call startMedia(callID) first');
    return m;
  }

  _adoptHello(result) {
    this.sessionId = result.sessionId;
    this.user = result.user;
    this.iceServers = Array.isArray(result.iceServers) ? result.iceServers : [];
    if (result.call && result.call.callID) this.callID = result.call.callID;
    this._startKeepalive();
  }

  /** Opens a socket and completes hello; resolves with the hello result. */
  async _open(resume) {
    const token = typeof this._token === 'function' ? await this._token() : this._token;
    const WS = this.options.WebSocket;
    if (!WS) throw new RingsfuError('disconnected', 'no WebSocket implementation');
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WS(this._url);
      } catch (err) {
        reject(new RingsfuError('disconnected', `WebSocket: ${err.message}`));
        return;
      }
      const helloId = `h${++this._seq}`;
      let settled = false;
      const timer = setTimeout(() => fail(new RingsfuError('timeout', 'hello: no reply')), this.options.requestTimeoutMs);
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        detach(ws);
        try { ws.close(); } catch { /* ignore */ }
        reject(err);
      };
      ws.onopen = () => {
        const data = { token, protocol: PROTOCOL_VERSION, deviceId: this.deviceId };
        if (resume) data.resume = resume;
        ws.send(JSON.stringify({ id: helloId, type: 'hello', data }));
      };
      ws.onerror = () => { /* a close event follows */ };
      ws.onclose = (ev) => {
        const err = new RingsfuError('disconnected', `closed before hello completed (${ev.code} ${ev.reason || ''})`.trim());
        err.closeCode = ev.code;
        fail(err);
      };
      ws.onmessage = (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch { return; }
        if (msg.id !== helloId) return;
        if (msg.type === 'result') {
          settled = true;
          clearTimeout(timer);
          this._attach(ws);
          resolve(msg.data);
        } else if (msg.type === 'error') {
          const e = msg.error || {};
          fail(new RingsfuError(e.code || 'internal', e.message, { type: 'hello', id: helloId }));
        }
      };
    });
  }

  /** Makes `ws` the live socket of the client. */
  _attach(ws) {
    this._ws = ws;
    ws.onmessage = (ev) => this._onMessage(ev.data);
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this._ws !== ws) return;
      this._onDrop(ev.code, ev.reason);
    };
  }

  _sendRequest(entry) {
    entry.id = `r${++this._seq}`;
    this._pending.set(entry.id, entry);
    const msg = { id: entry.id, type: entry.type };
    if (entry.data !== undefined) msg.data = entry.data;
    try {
      this._ws.send(JSON.stringify(msg));
    } catch (err) {
      this._pending.delete(entry.id);
      clearTimeout(entry.timer);
      entry.reject(new RingsfuError('disconnected', `${entry.type}: ${err.message}`, { type: entry.type }));
    }
  }

  _onMessage(raw) {
    let msg;
    try { msg = JSON.parse(raw); } catch { return; }
    if (msg.id !== undefined && msg.id !== null && (msg.type === 'result' || msg.type === 'error' || msg.type === 'pong')) {
      const entry = this._pending.get(msg.id);
      if (!entry) return;
      this._pending.delete(msg.id);
      clearTimeout(entry.timer);
      if (msg.type === 'error') {
        const e = msg.error || {};
        entry.reject(new RingsfuError(e.code || 'internal', e.message, { type: entry.type, id: msg.id }));
      } else {
        entry.resolve(msg.data === undefined || msg.data === null ? {} : msg.data);
      }
      return;
    }
    if (msg.type === 'error') {
      const e = msg.error || {};
      this.emit('error', new RingsfuError(e.code || 'internal', e.message));
      return;
    }
    if (msg.type === 'pong' || msg.type === 'result') return;
    this._onEvent(msg.type, msg.data || {});
  }

  _onEvent(type, data) {
    if (MEDIA_EVENTS.has(type) && data.callID) {
      const m = this._media.get(data.callID);
      if (m) {
        m.handleSignal(type, data);
      } else if (type !== 'mediaReset' && type !== 'publisherLayers') {
        let buf = this._mediaBuffer.get(data.callID);
        if (!buf) this._mediaBuffer.set(data.callID, (buf = []));
        if (type === 'offer') buf.length = 0; // a newer offer supersedes everything before it
        if (buf.length < MEDIA_BUFFER_LIMIT) buf.push({ type, data });
      }
    }
    this.emit(type, data);
    this.emit('event', { type, data });
    if (type === 'callEnded' || type === 'removed') this._endCall(data.callID);
  }

  _endCall(callID) {
    if (!callID) return;
    const m = this._media.get(callID);
    if (m) m.close();
    this._mediaBuffer.delete(callID);
    if (this.callID === callID) this.callID = null;
  }

  /** Sends the requests that waited for the session. */
  _flushQueued() {
    const queued = this._queued;
    this._queued = [];
    for (const entry of queued) this._sendRequest(entry);
  }

  _failAll(code, message) {
    for (const entry of this._pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new RingsfuError(code, `${entry.type}: ${message}`, { type: entry.type, id: entry.id }));
    }
    this._pending.clear();
    for (const entry of this._queued) {
      clearTimeout(entry.timer);
      entry.reject(new RingsfuError(code, `${entry.type}: ${message}`, { type: entry.type }));
    }
    this._queued = [];
  }
}

// Reconnecting (resume with backoff and jitter) and the keepalive live in
// reconnect.js.
Object.defineProperties(RingsfuClient.prototype, Object.getOwnPropertyDescriptors(reconnectMethods));

function asCall(req) {
  return typeof req === 'string' ? { callID: req } : req;
}

function defaultSignalURL() {
  const loc = globalThis.location;
  if (!loc) throw new RingsfuError('bad_request', 'url is required outside a browser page');
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/v1/signal`;
}

function randomDeviceId() {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return 'web-' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
