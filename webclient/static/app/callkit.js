// CallKit: the call UI's controller. It owns the SDK client, the local
// media and the state every view renders from; it knows nothing of the DOM
// (views subscribe to `change`). Semantics follow PROTOCOL.md and Zego's
// prebuilt call UI (send/cancel/accept/decline, busy, timeout, invite in
// calling, kick-out, remote device control).

import { RingsfuClient, Emitter, RingsfuError } from '/sdk/ringsfu.js';
import { capture, captureCamera, captureMic, audioOutputs } from './devices.js';
import { SpeakerDetector } from './speaker.js';

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

/** Wire reasons → what the UI says. */
const CALLEE_STATE_TEXT = {
  waiting: 'Calling…', accepted: 'Joined', declined: 'Declined', busy: 'Busy', canceled: 'Canceled',
  timeout: 'No answer', quit: 'Left', removed: 'Removed',
};

/**
 * A user as the UI shows it: always an id and a name.
 * @param {string|{id: string, name?: string}} u
 */
export function asUser(u) {
  if (typeof u === 'string') return { id: u, name: u };
  return { id: u.id, name: u.name || u.id };
}

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
    const client = new RingsfuClient();
    this.client = client;
    this._wire(client);
    this.conn = 'connecting';
    this.signInMessage = '';
    this._setView('connecting');
    this.changed('conn');
    let hello;
    try {
      hello = await client.connect({ token, url: url || this.options.url, deviceId: deviceId || this.options.deviceId });
    } catch (err) {
      this._unwire();
      this.client = null;
      this.conn = 'closed';
      this.signInMessage = `Could not sign in: ${err.message || err.code}`;
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
        this._finishCall({ title: 'Call ended', detail: 'The connection was lost for too long.', kind: 'error' }, 'disconnected');
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
    this.outgoing = { callID: null, type, callees: users.map((user) => ({ user, state: 'waiting' })), canceled: false };
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
      this._showEnded({ title: 'Call failed', detail: errorText(err), kind: 'error' });
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
      if (c) c.user = asUser(r.user);
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
      this._showEnded({ title: 'Call failed', detail: errorText(err), kind: 'error' });
      throw err;
    }
    if (!this.outgoing || this.outgoing.callID !== res.callID) return res.callID;
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
      this._showEnded({ title: 'Could not join', detail: errorText(err), kind: 'error' });
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

  // ---------- the call ----------

  /**
   * Builds the call model from a CallState.
   * Model: {callID, type, initiator, config, ringing, joinedAt, members: Map
   * id → {user, camera, microphone, audioRoute, tracks}, invitees: Map id →
   * {user, state, received}, invitedByMe: Set, everLive}.
   */
  _enterCall(st, { ringing }) {
    const members = new Map();
    for (const m of st.members || []) {
      members.set(m.user.id, { user: asUser(m.user), camera: !!m.camera, microphone: !!m.microphone, audioRoute: m.audioRoute, tracks: m.tracks || [] });
    }
    const invitees = new Map();
    for (const iv of st.invitees || []) invitees.set(iv.user.id, { user: asUser(iv.user), state: iv.state, received: !!iv.received });
    this.call = {
      callID: st.callID,
      type: st.type,
      initiator: asUser(st.initiator),
      config: { ...st.config },
      ringing,
      joinedAt: Date.now(),
      members,
      invitees,
      invitedByMe: new Set(ringing && this.outgoing ? this.outgoing.callees.map((c) => c.user.id) : []),
      everLive: members.size > 1,
    };
    this.local.camOn = st.type === 'video';
    this.local.micOn = true;
    this.minimized = false;
    if (!ringing) this._setView('call');
    this._speaker.start();
    this.changed('call', 'members', 'invitees', 'local', 'minimized');
  }

  /** A hello result named a call this device is in (the page came back): rejoin its media. */
  _resumeCall(st) {
    this._enterCall(st, { ringing: false });
    this._startMedia(this._captureLocal(st.type));
  }

  get isInitiator() {
    return !!(this.call && this.user && this.call.initiator.id === this.user.id);
  }

  /** Whether this member may invite into the running call (PROTOCOL.md §4). */
  get canInvite() {
    const c = this.call;
    if (!c || c.ringing) return false;
    return !!c.config.canInvitingInCalling && (!c.config.onlyInitiatorCanInvite || this.isInitiator);
  }

  /** Members other than me. */
  get others() {
    return this.call ? [...this.call.members.values()].filter((m) => m.user.id !== this.user.id) : [];
  }

  /** Invitees still waiting (the "waiting for accept" tiles). */
  get waiting() {
    if (!this.call) return [];
    return [...this.call.invitees.values()].filter((i) => i.state === 'waiting' && !this.call.members.has(i.user.id));
  }

  /** Whether I may cancel a waiting invitee (I rang it, or I am the initiator). */
  canCancelInvite(userID) {
    return !!this.call && (this.isInitiator || this.call.invitedByMe.has(userID));
  }

  _member(userID) {
    if (!this.call) return null;
    let m = this.call.members.get(userID);
    if (!m) {
      const iv = this.call.invitees.get(userID);
      m = { user: iv ? iv.user : asUser(userID), camera: this.call.type === 'video', microphone: true, audioRoute: 'speaker', tracks: [] };
      this.call.members.set(userID, m);
    }
    return m;
  }

  _onUserJoined({ callID, user }) {
    if (!this.call || this.call.callID !== callID) return;
    const u = asUser(user);
    const m = this._member(u.id);
    m.user = u;
    this.call.everLive = true;
    const iv = this.call.invitees.get(u.id);
    if (iv) iv.state = 'accepted';
    if (this.call.ringing && this.outgoing) this._goLive();
    else if (!this.call.ringing && this.call.members.size > 2) this.toast(`${u.name} joined`);
    this.changed('members', 'invitees', 'media');
  }

  _onUserLeft({ callID, user, reason }) {
    if (!this.call || this.call.callID !== callID) return;
    const u = asUser(user);
    this.call.members.delete(u.id);
    for (const [k, r] of this.remote) if (r.userID === u.id) this.remote.delete(k);
    this.toast(reason === 'removed' ? `${u.name} was removed` : reason === 'disconnected' ? `${u.name} lost the connection` : `${u.name} left`);
    this.changed('members', 'media');
    this._endIfAlone();
  }

  /** Like Zego's prebuilt UI: once everyone else is gone and nobody is ringing, the call ends here too. */
  _endIfAlone() {
    const c = this.call;
    if (!c || c.ringing || !c.everLive) return;
    if (c.members.size <= 1 && this.waiting.length === 0) {
      this.client.leave(c.callID).catch(() => {});
      this._finishCall({ title: 'Call ended', detail: `Everyone else left · ${this.durationText()}`, kind: 'info' }, 'alone');
    }
  }

  _onInvitationState({ callID, users }) {
    if (!this.call || this.call.callID !== callID) return;
    const next = new Map();
    for (const x of users || []) next.set(x.user.id, { user: asUser(x.user), state: x.state, received: !!x.received });
    this.call.invitees = next;
    this.changed('invitees');
    this._endIfAlone();
  }

  _onCallEnded({ callID, reason }) {
    if (this.outgoing && this.outgoing.callID === callID) {
      const out = this.outgoing;
      this.outgoing = null;
      this._finishCall(outgoingSummary(out, reason), reason);
      return;
    }
    if (!this.call || this.call.callID !== callID) return;
    this._finishCall({
      title: 'Call ended',
      detail: reason === 'initiatorLeft' ? `${this.call.initiator.name} ended the call` : `${reasonText(reason)} · ${this.durationText()}`,
      kind: 'info',
    }, reason);
  }

  _onRemoved({ callID, by }) {
    if (!this.call || this.call.callID !== callID) return;
    this._finishCall({ title: 'You were removed', detail: `${asUser(by).name} removed you from the call`, kind: 'error' }, 'removed');
  }

  _onDeviceState(d) {
    if (!this.call || this.call.callID !== d.callID) return;
    const m = this._member(d.userID);
    if (typeof d.camera === 'boolean') m.camera = d.camera;
    if (typeof d.microphone === 'boolean') m.microphone = d.microphone;
    if (d.audioRoute) m.audioRoute = d.audioRoute;
    this.changed('members');
  }

  _onDeviceControlled(d) {
    if (!this.call || this.call.callID !== d.callID) return;
    const by = asUser(d.by).name;
    if (d.microphone === false) {
      this._applyMic(false);
      this.toast(`${by} turned your microphone off`, 'warn');
    }
    if (d.camera === false) {
      this._applyCameraOff();
      this.toast(`${by} turned your camera off`, 'warn');
    }
  }

  _onDeviceRequest(d) {
    if (!this.call || this.call.callID !== d.callID) return;
    const wantMic = d.microphone === true && !this.local.micOn;
    const wantCam = d.camera === true && !this.local.camOn;
    if (!wantMic && !wantCam) return;
    this.prompt = { by: asUser(d.by), microphone: wantMic, camera: wantCam };
    this.changed('prompt');
  }

  /** Answers the device prompt: turn on what was asked, or ignore it. */
  async answerPrompt(accept) {
    const p = this.prompt;
    this.prompt = null;
    this.changed('prompt');
    if (!p || !accept) return;
    if (p.microphone) await this.setMicrophone(true);
    if (p.camera) await this.setCamera(true);
  }

  _onTracks({ callID, userID, tracks }) {
    if (!this.call || this.call.callID !== callID) return;
    if (userID === this.user.id) return;
    this._member(userID).tracks = tracks || [];
    this.changed('members', 'media');
  }

  _onTrack(info) {
    if (!this.call || info.userID === this.user?.id) return;
    this.remote.set(`${info.userID}/${info.trackID}`, info);
    this.changed('media');
  }

  _onTrackRemoved(info) {
    const k = `${info.userID}/${info.trackID}`;
    const cur = this.remote.get(k);
    if (cur && cur.track === info.track) {
      this.remote.delete(k);
      this.changed('media');
    }
  }

  /** The source of a member's track (`camera`, `microphone`, `screen`) as announced. */
  sourceOf(userID, trackID, kind) {
    const m = this.call?.members.get(userID);
    const t = m?.tracks.find((x) => x.trackID === trackID);
    if (t) return t.source;
    return kind === 'audio' ? 'microphone' : 'camera';
  }

  /**
   * What to render for a user: camera and screen video tracks, audio track,
   * and whether each is live (announced on, not muted).
   * @param {string} userID
   */
  mediaOf(userID) {
    if (userID === this.user?.id) {
      return {
        camera: this.local.camOn ? this.local.cam : null,
        screen: this.local.screen?.getVideoTracks()[0] || null,
        audio: null,
        local: true,
      };
    }
    const out = { camera: null, screen: null, audio: null, local: false, cameraStream: null, screenStream: null };
    const m = this.call?.members.get(userID);
    for (const r of this.remote.values()) {
      if (r.userID !== userID) continue;
      const src = this.sourceOf(userID, r.trackID, r.kind);
      const ann = m?.tracks.find((x) => x.trackID === r.trackID);
      if (r.kind === 'audio') out.audio = r.track;
      else if (src === 'screen') { if (!ann?.muted) out.screen = r.track; }
      else if (!ann?.muted && m?.camera !== false) out.camera = r.track;
    }
    return out;
  }

  /** Users sharing a screen now (me included). */
  get screenSharers() {
    if (!this.call) return [];
    const ids = [];
    if (this.local.screen) ids.push(this.user.id);
    for (const m of this.others) if (this.mediaOf(m.user.id).screen) ids.push(m.user.id);
    return ids;
  }

  durationText() {
    if (!this.call) return '';
    const s = Math.floor((Date.now() - this.call.joinedAt) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }

  /**
   * Hangs up (leaves the call). With `confirmHangUp`, the UI asks first;
   * this method itself does not ask.
   */
  async hangUp() {
    if (this.outgoing) return this.cancelCall();
    const c = this.call;
    if (!c) return;
    const text = this.durationText();
    this._finishCall({ title: 'Call ended', detail: `You left · ${text}`, kind: 'info' }, 'hangUp');
    await this.client?.leave(c.callID).catch(() => {});
  }

  /** Ends the call locally and shows the ended screen. */
  _finishCall(ended, reason) {
    const callID = this.call?.callID || null;
    this._teardownCall();
    this._showEnded(ended);
    this.emit('callEnd', { callID, reason });
  }

  _teardownCall() {
    this._speaker.stop();
    if (this.call) {
      const m = this.client?.media(this.call.callID);
      if (m) m.close();
    }
    this.call = null;
    this.prompt = null;
    this.minimized = false;
    this.remote.clear();
    this.speakers = { levels: new Map(), speaking: new Set(), active: null };
    this._releaseLocal();
    this.changed('call', 'members', 'invitees', 'media', 'local', 'prompt', 'minimized', 'speakers');
  }

  _showEnded(ended) {
    this.ended = ended;
    this.changed('ended');
    this._setView('ended');
    clearTimeout(this._endedTimer);
    if (this.options.endedScreenMs > 0) {
      this._endedTimer = setTimeout(() => this.dismissEnded(), this.options.endedScreenMs);
    }
    this._showNextIncoming();
  }

  /** Leaves the ended screen. */
  dismissEnded() {
    clearTimeout(this._endedTimer);
    if (this.view !== 'ended') return;
    this.ended = null;
    if (this.incoming) this._setView('incoming');
    else this._setView(this.conn === 'open' ? 'home' : 'signin');
  }

  _clearEnded() {
    clearTimeout(this._endedTimer);
    this.ended = null;
  }

  // ---------- local media ----------

  /**
   * Starts capturing the microphone (and camera for video). The tracks are
   * kept only if the call attempt is still the current one when they come.
   * @returns {Promise<{mic: MediaStreamTrack|null, cam: MediaStreamTrack|null}>}
   */
  _captureLocal(type) {
    const gen = ++this._captureGen;
    return capture({ video: type === 'video', videoConstraints: this.options.videoConstraints, audioConstraints: this.options.audioConstraints })
      .then((r) => {
        if (gen !== this._captureGen) {
          r.mic?.stop();
          r.cam?.stop();
          return { mic: null, cam: null };
        }
        this.local.mic = r.mic;
        this.local.cam = r.cam;
        if (r.mic) r.mic.enabled = this.local.micOn;
        this.changed('local');
        for (const e of r.errors) this.toast(`Media: ${e.message || e.name}`, 'warn');
        return r;
      });
  }

  _releaseLocal() {
    this._captureGen++;
    for (const t of [this.local.mic, this.local.cam, ...(this.local.screen?.getTracks() || [])]) t?.stop();
    this.local.mic = this.local.cam = this.local.screen = null;
    this.local.micOn = true;
    this.local.camOn = false;
    this.changed('local');
  }

  async _startMedia(capturing) {
    const c = this.call;
    if (!c) return;
    const media = this.client.startMedia(c.callID);
    const { mic, cam } = await capturing;
    if (this.call !== c || media.closed) return;
    // What could not be captured is announced as off, so others see it.
    const off = {};
    if (!cam && c.type === 'video') { this.local.camOn = false; off.camera = false; }
    if (!mic) { this.local.micOn = false; off.microphone = false; }
    if (Object.keys(off).length) {
      const me = c.members.get(this.user.id);
      if (me) Object.assign(me, off);
      this.changed('local', 'members');
      this.client.setDevice({ callID: c.callID, ...off }).catch(() => {});
    }
    const tracks = [mic, cam].filter(Boolean);
    if (tracks.length === 0) return;
    try {
      await media.publish(tracks, { simulcast: this.options.simulcast });
    } catch (err) {
      if (this.call === c) this.toast(`Could not send media: ${err.message}`, 'error');
    }
    this.changed('local');
  }

  /** Turns my microphone on or off (setDevice, and the track stops carrying sound). */
  async setMicrophone(on) {
    const c = this.call;
    if (!c) return;
    if (on && !this.local.mic) {
      try {
        this.local.mic = await captureMic(this.options.audioConstraints);
        await this.client.media(c.callID)?.publish([this.local.mic]);
      } catch (err) {
        this.toast(`Microphone: ${err.message}`, 'error');
        return;
      }
    }
    this._applyMic(on);
    await this.client.setDevice({ callID: c.callID, microphone: on }).catch((err) => this.toast(`Microphone: ${errorText(err)}`, 'error'));
  }

  _applyMic(on) {
    this.local.micOn = on;
    if (this.local.mic) this.local.mic.enabled = on;
    const me = this.call?.members.get(this.user.id);
    if (me) me.microphone = on;
    this.changed('local', 'members');
  }

  /** Turns my camera on (captures it again) or off (stops it: the light goes off). */
  async setCamera(on) {
    const c = this.call;
    if (!c) return;
    if (!on) {
      this._applyCameraOff();
      await this.client.setDevice({ callID: c.callID, camera: false }).catch((err) => this.toast(`Camera: ${errorText(err)}`, 'error'));
      return;
    }
    if (this.local.camOn) return;
    let track;
    try {
      track = await captureCamera(this.options.videoConstraints);
    } catch (err) {
      this.toast(`Camera: ${err.message || err.name}`, 'error');
      return;
    }
    if (this.call !== c) { track.stop(); return; }
    const media = this.client.media(c.callID);
    try {
      if (media && media.localTracks.some((t) => t.source === 'camera')) await media.replaceTrack('camera', track);
      else if (media) await media.publish([track], { simulcast: this.options.simulcast });
    } catch (err) {
      track.stop();
      this.toast(`Camera: ${err.message}`, 'error');
      return;
    }
    this.local.cam = track;
    this.local.camOn = true;
    const me = c.members.get(this.user.id);
    if (me) me.camera = true;
    this.changed('local', 'members');
    await this.client.setDevice({ callID: c.callID, camera: true }).catch((err) => this.toast(`Camera: ${errorText(err)}`, 'error'));
  }

  _applyCameraOff() {
    const c = this.call;
    this.local.camOn = false;
    const old = this.local.cam;
    this.local.cam = null;
    const media = c && this.client.media(c.callID);
    if (media && media.localTracks.some((t) => t.source === 'camera')) media.replaceTrack('camera', null).catch(() => {});
    old?.stop();
    const me = c?.members.get(this.user.id);
    if (me) me.camera = false;
    this.changed('local', 'members');
  }

  /** Starts or stops sharing my screen (published with source `screen`). */
  async setScreenShare(on) {
    const c = this.call;
    if (!c) return;
    const media = this.client.media(c.callID);
    if (!on) {
      const s = this.local.screen;
      this.local.screen = null;
      this.changed('local', 'media');
      s?.getTracks().forEach((t) => t.stop());
      if (media && !media.closed && media.localTracks.some((t) => t.source === 'screen')) await media.unpublish('screen').catch(() => {});
      return;
    }
    if (this.local.screen || !media) return;
    let stream;
    try {
      stream = this.options.screenStream ? await this.options.screenStream() : await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      if (err.name !== 'NotAllowedError') this.toast(`Screen sharing: ${err.message}`, 'error');
      return;
    }
    if (this.call !== c) { stream.getTracks().forEach((t) => t.stop()); return; }
    const track = stream.getVideoTracks()[0];
    track.addEventListener('ended', () => { if (this.local.screen === stream) this.setScreenShare(false); });
    this.local.screen = stream;
    this.changed('local', 'media');
    try {
      await media.publish([track], { source: 'screen' });
    } catch (err) {
      this.toast(`Screen sharing: ${err.message}`, 'error');
      this.local.screen = null;
      track.stop();
      this.changed('local', 'media');
    }
  }

  /** Lists audio outputs (for the output picker). */
  audioOutputs() {
    return audioOutputs();
  }

  /**
   * Picks the audio output: the views apply setSinkId to every received
   * audio element; the route (guessed from the label) is announced with setDevice.
   * @param {string} deviceId
   * @param {string} route
   */
  async setAudioOutput(deviceId, route) {
    this.local.audioOutput = deviceId;
    this.local.audioRoute = route;
    this.changed('local');
    if (this.call) {
      await this.client.setDevice({ callID: this.call.callID, audioRoute: route }).catch((err) => this.toast(`Audio output: ${errorText(err)}`, 'error'));
    }
  }

  // ---------- members and invitations ----------

  /**
   * Invites more users into the running call ("invite in calling").
   * @param {Array<string|{id: string, name?: string}>} users
   */
  async inviteMore(users) {
    const c = this.call;
    if (!c) return null;
    const list = dedupe(users.map(asUser)).filter((u) => u.id !== this.user.id && !c.members.has(u.id));
    if (list.length === 0) return null;
    for (const u of list) c.invitedByMe.add(u.id);
    try {
      const res = await this.client.invite({
        invitees: list.slice(0, this.options.maxInvitees), type: c.type, callID: c.callID,
        timeoutSeconds: this.options.timeoutSeconds,
      });
      this.changed('invitees');
      return res;
    } catch (err) {
      this.toast(`Invite: ${errorText(err)}`, 'error');
      return null;
    }
  }

  /** Cancels the invitation of a waiting invitee. */
  async cancelInvite(userID) {
    if (!this.call) return;
    await this.client.cancel({ callID: this.call.callID, userIDs: [userID] }).catch((err) => this.toast(`Cancel: ${errorText(err)}`, 'error'));
  }

  /** Removes (kicks out) a member; initiator only. */
  async removeMember(userID) {
    if (!this.call) return;
    await this.client.remove({ callID: this.call.callID, userIDs: [userID] }).catch((err) => this.toast(`Remove: ${errorText(err)}`, 'error'));
  }

  /**
   * Turns a member's device off, or asks them to turn it on; initiator only.
   * @param {string} userID
   * @param {{camera?: boolean, microphone?: boolean}} what
   */
  async setRemoteDevice(userID, what) {
    if (!this.call) return;
    try {
      await this.client.setRemoteDevice({ callID: this.call.callID, userID, ...what });
      const name = this.call.members.get(userID)?.user.name || userID;
      const dev = what.microphone !== undefined ? 'microphone' : 'camera';
      const on = what.microphone ?? what.camera;
      this.toast(on ? `Asked ${name} to turn on their ${dev}` : `Turned off ${name}'s ${dev}`);
    } catch (err) {
      this.toast(`${errorText(err)}`, 'error');
    }
  }

  // ---------- minimize ----------

  setMinimized(on) {
    if (!this.call || this.minimized === on) return;
    this.minimized = on;
    this.changed('minimized');
  }

  // ---------- statistics (tests and the UI's speaker detection) ----------

  /**
   * A getStats sample of the call's media: per received track
   * (userID, trackID, source) framesDecoded, packetsReceived,
   * bytesReceived, frame size and audioLevel; per sent track its counters.
   */
  async mediaStats() {
    const c = this.call;
    const m = c && this.client?.media(c.callID);
    if (!m || m.closed) return null;
    const { publisher, subscriber } = await m.getStats();
    const byMid = new Map(m.remoteTracks.map((t) => [t.mid, t]));
    const inbound = [];
    for (const s of subscriber.values()) {
      if (s.type !== 'inbound-rtp') continue;
      const t = byMid.get(s.mid);
      inbound.push({
        kind: s.kind, mid: s.mid, userID: t?.userID ?? null, trackID: t?.trackID ?? null,
        source: t ? this.sourceOf(t.userID, t.trackID, t.kind) : null,
        packetsReceived: s.packetsReceived ?? 0, bytesReceived: s.bytesReceived ?? 0,
        framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0,
        audioLevel: s.audioLevel ?? null,
      });
    }
    const outbound = [];
    const sources = new Map(m.localTracks.map((t) => [t.mid, t.source]));
    let localAudioLevel = null;
    for (const s of publisher.values()) {
      if (s.type === 'outbound-rtp') {
        outbound.push({
          kind: s.kind, mid: s.mid, rid: s.rid ?? null, source: sources.get(s.mid) ?? null, packetsSent: s.packetsSent ?? 0,
          bytesSent: s.bytesSent ?? 0, framesEncoded: s.framesEncoded ?? 0, frameWidth: s.frameWidth ?? 0,
          qualityLimitationReason: s.qualityLimitationReason ?? null, active: s.active ?? null,
        });
      } else if (s.type === 'media-source' && s.kind === 'audio' && typeof s.audioLevel === 'number') {
        localAudioLevel = Math.max(localAudioLevel ?? 0, s.audioLevel);
      }
    }
    return { at: Date.now(), inbound, outbound, localAudioLevel };
  }
}

function dedupe(users) {
  const seen = new Set();
  return users.filter((u) => u.id && !seen.has(u.id) && seen.add(u.id));
}

function errorText(err) {
  const code = err?.code;
  const map = {
    busy: 'You are already in a call.', not_permitted: 'Not permitted.', not_found: 'Not found.',
    bad_request: err?.message || 'Invalid request.', timeout: 'The server did not answer.',
    disconnected: 'Not connected.', conflict: err?.message || 'Conflict.', rate_limited: 'Too many requests; try again.',
  };
  return map[code] || err?.message || String(err);
}

function reasonText(reason) {
  return { noAnswer: 'No answer', initiatorLeft: 'The host ended the call', disconnected: 'Connection lost' }[reason] || 'The call ended';
}

/** The failed-call screen of an outgoing call that ended without anyone answering. */
function outgoingSummary(out, reason) {
  const callees = out.callees;
  const states = new Set(callees.map((c) => c.state));
  const names = callees.map((c) => c.user.name).join(', ');
  const one = callees.length === 1;
  if (states.size === 1) {
    const [s] = states;
    if (s === 'declined') return { title: one ? 'Call declined' : 'Call declined', detail: `${names} declined the call`, kind: 'declined', state: s };
    if (s === 'busy') return { title: one ? `${names} is busy` : 'Everyone is busy', detail: one ? 'They are in another call. Try again later.' : names, kind: 'busy', state: s };
    if (s === 'timeout' || s === 'waiting') return { title: 'No answer', detail: `${names} did not answer`, kind: 'noAnswer', state: 'timeout' };
    if (s === 'canceled') return { title: 'Call canceled', detail: names, kind: 'info', state: s };
  }
  if (reason && reason !== 'noAnswer') return { title: 'Call ended', detail: reasonText(reason), kind: 'info' };
  return {
    title: 'Nobody answered',
    detail: callees.map((c) => `${c.user.name}: ${CALLEE_STATE_TEXT[c.state] || c.state}`).join(' · '),
    kind: 'noAnswer',
    state: 'mixed',
  };
}

export { CALLEE_STATE_TEXT };
