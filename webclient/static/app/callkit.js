// CallKit: the call UI's controller. It owns the SDK client, the local
// media and the state every view renders from; it knows nothing of the DOM
// (views subscribe to `change`). Semantics follow PROTOCOL.md and Zego's
// prebuilt call UI (send/cancel/accept/decline, busy, timeout, invite in
// calling, kick-out, remote device control).

import { RingsfuClient, Emitter, RingsfuError } from '/sdk/ringsfu.js';
import { SpeakerDetector } from './speaker.js';
import { asUser, dedupe, errorText, errorDetail, CALLEE_STATE_TEXT, UNREACHABLE_MS } from './model.js';
import { callMethods } from './callkit-call.js';
import { mediaMethods } from './callkit-media.js';
import { Recents } from './recents.js';

export { asUser, CALLEE_STATE_TEXT };

/** Options and their defaults (see README.md in this directory). */
export const DEFAULTS = Object.freeze({
  /** Ring time of invitations sent from this UI (1–600 s). */
  timeoutSeconds: 60,
  /** callConfig of calls created from this UI. */
  callConfig: Object.freeze({ canInvitingInCalling: true, onlyInitiatorCanInvite: false, endCallWhenInitiatorLeave: false }),
  /** Show "waiting for accept" tiles for invitees of the running call. */
  showWaitingCallAcceptAudioVideoView: true,
  /** Ask before hanging up. */
  confirmHangUp: false,
  /** Users offered in the "Invite members" panel (Zego's waitingSelectUsers). */
  waitingSelectUsers: Object.freeze([]),
  /** Whether those users start checked (Zego's defaultChecked). */
  defaultChecked: true,
  /** Contacts offered on the dial screen. */
  users: Object.freeze([]),
  /** How long the "call ended / declined / busy / no answer" screen stays (0 = until dismissed). */
  endedScreenMs: 4000,
  /** Publish the camera as simulcast (q/h/f). */
  simulcast: false,
  /** Play ringtone and ringback. */
  sounds: true,
  /** Most users per invitation (the protocol's limit). */
  maxInvitees: 9,
});

/**
 * The controller. Events: `change` (Set of changed parts: `view`, `conn`,
 * `incoming`, `outgoing`, `call`, `members`, `media`, `local`, `invitees`,
 * `prompt`, `speakers`, `minimized`, `options`), `toast` ({text, kind}),
 * `callStart` / `callEnd` ({callID, reason}), `incomingCall` (invitation),
 * `signedIn` (User), `signedOut` ({code, reason}).
 */
export class CallKit extends Emitter {
  constructor(options = {}) {
    super();
    this.options = { ...DEFAULTS, ...options, callConfig: { ...DEFAULTS.callConfig, ...(options.callConfig || {}) } };
    /** @type {RingsfuClient|null} */
    this.client = null;
    /** @type {'signin'|'connecting'|'home'|'outgoing'|'incoming'|'call'|'ended'} */
    this.view = 'signin';
    /** @type {'idle'|'connecting'|'open'|'reconnecting'|'closed'} */
    this.conn = 'idle';
    /** @type {{id: string, name: string}|null} */
    this.user = null;
    /** Message on the sign-in screen (why we are there). */
    this.signInMessage = '';
    /** The technical detail of signInMessage (shown behind "details"). */
    this.signInDetail = '';
    /** @type {object[]} Invitations ringing here, oldest first; the first is shown. */
    this.incomingQueue = [];
    /** Outgoing call being placed: {callID, type, callees: [{user, state}]}. */
    this.outgoing = null;
    /** The call this device is in (model below), or null. */
    this.call = null;
    /** The ended/failed screen: {title, detail, kind}. */
    this.ended = null;
    /** A deviceRequest waiting for the user's answer: {by, camera, microphone}. */
    this.prompt = null;
    this.minimized = false;
    /** Local media: tracks and the on/off state the user sees. */
    this.local = { mic: null, cam: null, screen: null, micOn: true, camOn: false, audioOutput: 'default', audioRoute: 'speaker' };
    /** Received tracks: `${userID}/${trackID}` → {userID, trackID, kind, track, stream, mid}. */
    this.remote = new Map();
    /** Speaking levels and the active speaker (from audio levels). */
    this.speakers = { levels: new Map(), speaking: new Set(), active: null };
    /** Every SDK/server event and UI transition, for diagnostics and tests. */
    this.log = [];
    this._endedTimer = null;
    this._pendingChanges = new Set();
    this._flushScheduled = false;
    this._offClient = [];
    this._speaker = new SpeakerDetector(this);
    this._captureGen = 0;
    /** Call history on the home screen (recents.js). */
    this.recents = new Recents(this);
  }

  // ---------- state plumbing ----------

  /** Marks parts of the state changed; one `change` event per microtask. */
  changed(...parts) {
    for (const p of parts) this._pendingChanges.add(p);
    if (this._flushScheduled) return;
    this._flushScheduled = true;
    queueMicrotask(() => {
      this._flushScheduled = false;
      const set = this._pendingChanges;
      this._pendingChanges = new Set();
      this.emit('change', set);
    });
  }

  _setView(view) {
    if (this.view === view) return;
    this._trace('view', { view });
    this.view = view;
    if (view !== 'ended') clearTimeout(this._endedTimer);
    this.changed('view');
  }

  _trace(name, data) {
    this.log.push({ t: Date.now(), name, data });
    if (this.log.length > 500) this.log.splice(0, this.log.length - 500);
  }

  toast(text, kind = 'info') {
    this._trace('toast', { text, kind });
    this.emit('toast', { text, kind });
  }

  /** Updates options at run time (e.g. timeoutSeconds, confirmHangUp). */
  setOptions(opts = {}) {
    Object.assign(this.options, opts);
    if (opts.callConfig) this.options.callConfig = { ...DEFAULTS.callConfig, ...opts.callConfig };
    this.changed('options', 'call', 'invitees');
  }

  /**
   * Sets the users offered in the "Invite members" panel (Zego's
   * updateCallingInvitationListConfig).
   * @param {{waitingSelectUsers?: Array<string|{id: string, name?: string}>, defaultChecked?: boolean}} cfg
   */
  updateCallingInvitationListConfig({ waitingSelectUsers, defaultChecked } = {}) {
    if (waitingSelectUsers) this.options.waitingSelectUsers = waitingSelectUsers.map(asUser);
    if (defaultChecked !== undefined) this.options.defaultChecked = !!defaultChecked;
    this.changed('options');
  }

  // ---------- sign-in ----------

  /**
   * Connects and says hello. `token` is a JWT or a function returning one
   * (called again for every reconnect).
   * @param {{token: string|(() => string|Promise<string>), url?: string, deviceId?: string}} opts
   * @returns {Promise<{id: string, name: string}>} The signed-in user.
   */
  async signIn({ token, url, deviceId } = {}) {
    if (!token) throw new RingsfuError('bad_request', 'a token is required');
    if (this.client) this.signOut();
    // Keep trying to reconnect (with backoff and jitter) for as long as it
    // takes: within the server's grace the session resumes, after it a new
    // session comes back; the user is never signed out by a lost server.
    const client = new RingsfuClient({ reconnectWindowMs: this.options.reconnectWindowMs ?? Infinity });
    this.client = client;
    this._wire(client);
    this.conn = 'connecting';
    this.signInMessage = '';
    this.signInDetail = '';
    this._setView('connecting');
    this.changed('conn');
    let hello;
    try {
      hello = await client.connect({ token, url: url || this.options.url, deviceId: deviceId || this.options.deviceId });
    } catch (err) {
      this._unwire();
      this.client = null;
      this.conn = 'closed';
      this.signInMessage = `Could not sign in. ${errorText(err)}`;
      this.signInDetail = errorDetail(err);
      this._setView('signin');
      this.changed('conn');
      throw err;
    }
    this.conn = 'open';
    this.user = asUser(hello.user);
    this._setView('home');
    this.changed('conn');
    this.emit('signedIn', this.user);
    for (const inv of hello.pendingInvitations || []) this._onIncoming(inv);
    if (hello.call) this._resumeCall(hello.call);
    return this.user;
  }

  /**
   * The page is going away: hang up or cancel without waiting for replies
   * (fire-and-forget messages), then close the connection.
   */
  leaveOnUnload() {
    const c = this.client;
    if (!c) return;
    const callID = this.call?.callID || this.outgoing?.callID;
    if (this.outgoing && callID) c.notify('cancel', { callID });
    if (callID) c.notify('leave', { callID });
    c.close();
  }

  /** Leaves any call and closes the connection. */
  signOut(message = '') {
    if (this.call) this.client?.leave(this.call.callID).catch(() => {});
    this._teardownCall();
    this.incomingQueue = [];
    this.outgoing = null;
    this._unwire();
    this.client?.close();
    this.client = null;
    this.user = null;
    this.conn = 'idle';
    this.signInMessage = message;
    this.signInDetail = '';
    this._setView('signin');
    this.changed('conn', 'incoming', 'outgoing', 'call');
  }

  _wire(client) {
    const on = (ev, fn) => this._offClient.push(client.on(ev, (d) => {
      this._trace(ev, ev === 'track' || ev === 'trackRemoved' ? { userID: d.userID, trackID: d.trackID, kind: d.kind } : d);
      try { fn(d); } catch (err) { console.error(`ringsfu ui: ${ev} handler`, err); }
    }));
    on('incomingCall', (d) => this._onIncoming(d));
    on('incomingCallCanceled', (d) => this._onIncomingGone(d.callID, d.reason === 'canceled'
      ? `${asUser(d.caller).name} canceled the call` : `Missed call from ${asUser(d.caller).name}`));
    on('incomingCallTimeout', (d) => this._onIncomingGone(d.callID, `Missed call from ${asUser(d.caller).name}`));
    on('incomingCallAnsweredElsewhere', (d) => this._onIncomingGone(d.callID,
      d.answer === 'accepted' ? 'Answered on another device' : 'Declined on another device'));
    on('outgoingCallAccepted', (d) => this._onCalleeResult(d.callID, [d.callee], 'accepted'));
    on('outgoingCallDeclined', (d) => this._onCalleeResult(d.callID, [d.callee], 'declined'));
    on('outgoingCallRejectedCauseBusy', (d) => this._onCalleeResult(d.callID, [d.callee], 'busy'));
    on('outgoingCallTimeout', (d) => this._onCalleeResult(d.callID, d.callees || [], 'timeout'));
    on('invitationStateChanged', (d) => this._onInvitationState(d));
    on('callEnded', (d) => this._onCallEnded(d));
    on('userJoined', (d) => this._onUserJoined(d));
    on('userLeft', (d) => this._onUserLeft(d));
    on('removed', (d) => this._onRemoved(d));
    on('deviceState', (d) => this._onDeviceState(d));
    on('deviceControlled', (d) => this._onDeviceControlled(d));
    on('deviceRequest', (d) => this._onDeviceRequest(d));
    on('tracks', (d) => this._onTracks(d));
    on('track', (d) => this._onTrack(d));
    on('trackRemoved', (d) => this._onTrackRemoved(d));
    on('mediaError', (e) => console.warn('ringsfu ui: media error', e));
    on('reconnecting', () => { this.conn = 'reconnecting'; this.changed('conn'); });
    on('reconnected', (d) => this._onReconnected(d));
    on('disconnected', (d) => this._onDisconnected(d));
    on('error', (e) => console.warn('ringsfu ui: server error', e));
  }

  _unwire() {
    for (const off of this._offClient) off();
    this._offClient = [];
  }

  _onReconnected(hello) {
    this.conn = 'open';
    this.changed('conn');
    if (!hello.resumed) {
      // A fresh session: the server dropped our call membership and invitations.
      if (this.call && (!hello.call || hello.call.callID !== this.call.callID)) {
        this._finishCall({ title: 'Call ended — connection lost', detail: 'The connection to the server was lost for too long to rejoin the call.', kind: 'error' }, 'disconnected');
      }
      if (this.outgoing) {
        this.outgoing = null;
        this._finishCall({ title: 'Call failed', detail: 'The connection was lost.', kind: 'error' }, 'disconnected');
      }
    }
    // Invitations still ringing: the server's list is the truth.
    const pending = hello.pendingInvitations || [];
    const live = new Set(pending.map((i) => i.callID));
    const before = this.incomingQueue.length;
    this.incomingQueue = this.incomingQueue.filter((i) => live.has(i.callID));
    for (const inv of pending) if (!this.incomingQueue.some((i) => i.callID === inv.callID)) this._onIncoming(inv);
    if (this.incomingQueue.length !== before) this._showNextIncoming();
  }

  _onDisconnected({ code, reason, final }) {
    if (!final) return;
    const why = code === 4009 ? 'You signed in on another tab or device.'
      : code === 4010 ? 'You signed in on too many devices; this one was signed out.'
      : code === 4001 ? 'Your sign-in expired.'
        : `The connection to the server was lost${reason ? ` (${reason})` : ''}.`;
    const hadCall = !!this.call;
    this._teardownCall();
    this.incomingQueue = [];
    this.outgoing = null;
    this._unwire();
    this.client = null;
    this.user = null;
    this.conn = 'closed';
    this.signInMessage = why;
    this._setView('signin');
    this.changed('conn', 'incoming', 'outgoing', 'call');
    if (hadCall) this.emit('callEnd', { reason: 'disconnected' });
    this.emit('signedOut', { code, reason });
  }

  // ---------- outgoing calls ----------

  /** Whether this device may place a call now. */
  get canCall() {
    return this.conn === 'open' && !this.call && !this.outgoing && this.incomingQueue.length === 0;
  }

  /**
   * Calls one or several users (Zego's sendCallInvitation).
   * @param {Array<string|{id: string, name?: string}>} invitees 1–9 users.
   * @param {{type?: 'video'|'voice', timeoutSeconds?: number, callID?: string, customData?: string}} [opts]
   * @returns {Promise<string>} The callID.
   */
  async startCall(invitees, { type = 'video', timeoutSeconds, callID, customData } = {}) {
    const users = dedupe(invitees.map(asUser)).filter((u) => u.id !== this.user?.id);
    if (users.length === 0) throw new RingsfuError('bad_request', 'Enter at least one user id other than yours.');
    if (users.length > this.options.maxInvitees) throw new RingsfuError('bad_request', `At most ${this.options.maxInvitees} users per call.`);
    if (!this.canCall) throw new RingsfuError('conflict', 'Already in a call.');
    this._clearEnded();
    this.outgoing = { callID: null, type, callees: users.map((user) => ({ user, state: 'waiting', received: false })), canceled: false, reachCheck: false };
    const out = this.outgoing;
    // After UNREACHABLE_MS an invitation no device has received yet says so
    // (the ringing goes on until the timeout, as the contract says).
    setTimeout(() => { if (this.outgoing === out) { out.reachCheck = true; this.changed('outgoing'); } }, UNREACHABLE_MS);
    this.minimized = false;
    this._setView('outgoing');
    this.changed('outgoing', 'minimized');
    const media = this._captureLocal(type);
    let res;
    try {
      res = await this.client.invite({
        invitees: users, type, callID: callID || undefined, customData: customData || '',
        timeoutSeconds: timeoutSeconds || this.options.timeoutSeconds,
        callConfig: this.options.callConfig,
      });
    } catch (err) {
      this.outgoing = null;
      this._releaseLocal();
      this._showEnded({ title: 'Call failed', detail: errorText(err), technical: errorDetail(err), kind: 'error' });
      throw err;
    }
    if (!this.outgoing || this.outgoing.canceled) {
      // Canceled before the invitation was out: stop its ringing now.
      this.client.cancel({ callID: res.callID }).catch(() => {});
      this.client.leave(res.callID).catch(() => {});
      return res.callID;
    }
    this.outgoing.callID = res.callID;
    for (const r of res.invitees || []) {
      const c = this.outgoing.callees.find((x) => x.user.id === r.user.id);
      if (c && r.state !== 'waiting') c.state = r.state;
      if (c) { c.user = asUser(r.user); c.received ||= !!r.received; }
    }
    this.changed('outgoing');
    // The inviter is in the room already: take its state and start media,
    // so it flows as soon as someone accepts.
    let st;
    try {
      st = await this.client.join({ callID: res.callID });
    } catch (err) {
      if (this.call || !this.outgoing || this.outgoing.callID !== res.callID) return res.callID; // ended meanwhile (e.g. all busy)
      this.outgoing = null;
      this.client.cancel({ callID: res.callID }).catch(() => {});
      this.client.leave(res.callID).catch(() => {});
      this._releaseLocal();
      this._showEnded({ title: 'Call failed', detail: errorText(err), technical: errorDetail(err), kind: 'error' });
      throw err;
    }
    if (!this.outgoing || this.outgoing.callID !== res.callID) return res.callID;
    this._outgoingDelivery(st.invitees);
    this._enterCall(st, { ringing: true });
    // Glare merged us into their call, or someone accepted before the
    // snapshot came back: the call is live already.
    const live = res.merged || (st.members || []).length > 1 || this.outgoing.callees.some((x) => x.state === 'accepted');
    if (live) this._goLive();
    await this._startMedia(media);
    return res.callID;
  }

  /** Cancels the outgoing call (all invitees that are still waiting). */
  async cancelCall() {
    const out = this.outgoing;
    if (!out) return;
    out.canceled = true;
    this.outgoing = null;
    this.changed('outgoing');
    const callID = out.callID || this.call?.callID;
    this._teardownCall();
    this._setView('home');
    if (callID) {
      await this.client.cancel({ callID }).catch(() => {});
      await this.client.leave(callID).catch(() => {});
    }
  }

  _onCalleeResult(callID, callees, state) {
    const users = callees.map(asUser);
    if (this.outgoing && this.outgoing.callID === callID) {
      for (const u of users) {
        const c = this.outgoing.callees.find((x) => x.user.id === u.id);
        if (c) { c.state = state; c.user = u; }
      }
      this.changed('outgoing');
      if (state === 'accepted') this._goLive();
      return;
    }
    if (this.call && this.call.callID === callID && state !== 'accepted') {
      const names = users.map((u) => u.name).join(', ');
      this.toast(state === 'busy' ? `${names} is busy` : state === 'declined' ? `${names} declined` : `${names} did not answer`);
    }
  }

  /** Takes `received` (delivered to a device) from the contract's invitee list. */
  _outgoingDelivery(invitees) {
    const out = this.outgoing;
    if (!out) return;
    let changed = false;
    for (const iv of invitees || []) {
      const c = out.callees.find((x) => x.user.id === iv.user?.id);
      if (c && iv.received && !c.received) { c.received = true; changed = true; }
    }
    if (changed) this.changed('outgoing');
  }

  /** The first callee accepted: the calling screen becomes the call. */
  _goLive() {
    if (!this.call) return;
    this.outgoing = null;
    this.call.ringing = false;
    this.call.joinedAt = Date.now();
    this._setView('call');
    this.changed('outgoing', 'call');
    this.emit('callStart', { callID: this.call.callID });
  }

  // ---------- incoming calls ----------

  get incoming() {
    return this.incomingQueue[0] || null;
  }

  _onIncoming(inv) {
    if (this.incomingQueue.some((i) => i.callID === inv.callID)) return;
    this.incomingQueue.push({ ...inv, caller: asUser(inv.caller), receivedAt: Date.now() });
    this.changed('incoming');
    this.emit('incomingCall', inv);
    this._showNextIncoming();
  }

  _showNextIncoming() {
    this.changed('incoming');
    if (this.call || this.outgoing) return; // the call screen stays; we are busy anyway
    if (this.incoming) {
      this._clearEnded();
      this._setView('incoming');
    } else if (this.view === 'incoming') {
      this._setView('home');
    }
  }

  _onIncomingGone(callID, text) {
    const i = this.incomingQueue.findIndex((x) => x.callID === callID);
    if (i < 0) return;
    this.incomingQueue.splice(i, 1);
    if (text) this.toast(text);
    this._showNextIncoming();
  }

  /**
   * Accepts the shown invitation (or the one of `callID`).
   * @returns {Promise<void>}
   */
  async acceptCall(callID = this.incoming?.callID) {
    const inv = this.incomingQueue.find((i) => i.callID === callID);
    if (!inv || inv.accepting) return;
    // The incoming screen stays (answering…) until the server confirms.
    inv.accepting = true;
    this.changed('incoming');
    const media = this._captureLocal(inv.type);
    let st;
    try {
      st = await this.client.accept({ callID });
    } catch (err) {
      this.incomingQueue = this.incomingQueue.filter((i) => i !== inv);
      this._releaseLocal();
      this._showEnded({ title: 'Could not join', detail: errorText(err), technical: errorDetail(err), kind: 'error' });
      return;
    }
    this.incomingQueue = this.incomingQueue.filter((i) => i !== inv);
    this.changed('incoming');
    this._enterCall(st, { ringing: false });
    this.emit('callStart', { callID });
    await this._startMedia(media);
  }

  /** Declines the shown invitation (or the one of `callID`). */
  async declineCall(callID = this.incoming?.callID) {
    const inv = this.incomingQueue.find((i) => i.callID === callID);
    if (!inv || inv.accepting) return;
    this.incomingQueue = this.incomingQueue.filter((i) => i !== inv);
    this._showNextIncoming();
    await this.client.reject({ callID, reason: 'declined' }).catch((err) => console.warn('ringsfu ui: reject', err));
  }
}

// The rest of the controller, one concern per file: the call model and its
// member/invitation actions (callkit-call.js), local media (callkit-media.js).
for (const methods of [callMethods, mediaMethods]) {
  Object.defineProperties(CallKit.prototype, Object.getOwnPropertyDescriptors(methods));
}
