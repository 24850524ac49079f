// CallKit, part 2: the call model (members, invitees, tracks), the server
// events of a running call, endings, and the member/invitation actions.
// Mixed into CallKit.prototype by callkit.js.

import { asUser, dedupe, errorText, reasonText, outgoingSummary } from './model.js';

/** @this {import('./callkit.js').CallKit} */
export const callMethods = {
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
  },

  /** A hello result named a call this device is in (the page came back): rejoin its media. */
  _resumeCall(st) {
    this._enterCall(st, { ringing: false });
    this._startMedia(this._captureLocal(st.type));
  },

  get isInitiator() {
    return !!(this.call && this.user && this.call.initiator.id === this.user.id);
  },

  /** Whether this member may invite into the running call (PROTOCOL.md §4). */
  get canInvite() {
    const c = this.call;
    if (!c || c.ringing) return false;
    return !!c.config.canInvitingInCalling && (!c.config.onlyInitiatorCanInvite || this.isInitiator);
  },

  /** Members other than me. */
  get others() {
    return this.call ? [...this.call.members.values()].filter((m) => m.user.id !== this.user.id) : [];
  },

  /** Invitees still waiting (the "waiting for accept" tiles). */
  get waiting() {
    if (!this.call) return [];
    return [...this.call.invitees.values()].filter((i) => i.state === 'waiting' && !this.call.members.has(i.user.id));
  },

  /** Whether I may cancel a waiting invitee (I rang it, or I am the initiator). */
  canCancelInvite(userID) {
    return !!this.call && (this.isInitiator || this.call.invitedByMe.has(userID));
  },

  _member(userID) {
    if (!this.call) return null;
    let m = this.call.members.get(userID);
    if (!m) {
      const iv = this.call.invitees.get(userID);
      m = { user: iv ? iv.user : asUser(userID), camera: this.call.type === 'video', microphone: true, audioRoute: 'speaker', tracks: [] };
      this.call.members.set(userID, m);
    }
    return m;
  },

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
  },

  _onUserLeft({ callID, user, reason }) {
    if (!this.call || this.call.callID !== callID) return;
    const u = asUser(user);
    this.call.members.delete(u.id);
    for (const [k, r] of this.remote) if (r.userID === u.id) this.remote.delete(k);
    this.toast(reason === 'removed' ? `${u.name} was removed` : reason === 'disconnected' ? `${u.name} lost the connection` : `${u.name} left`);
    this.changed('members', 'media');
    this._endIfAlone();
  },

  /** Like Zego's prebuilt UI: once everyone else is gone and nobody is ringing, the call ends here too. */
  _endIfAlone() {
    const c = this.call;
    if (!c || c.ringing || !c.everLive) return;
    if (c.members.size <= 1 && this.waiting.length === 0) {
      this.client.leave(c.callID).catch(() => {});
      this._finishCall({ title: 'Call ended', detail: `Everyone else left · ${this.durationText()}`, kind: 'info' }, 'alone');
    }
  },

  _onInvitationState({ callID, users }) {
    if (this.outgoing && this.outgoing.callID === callID) this._outgoingDelivery(users);
    if (!this.call || this.call.callID !== callID) return;
    const next = new Map();
    for (const x of users || []) next.set(x.user.id, { user: asUser(x.user), state: x.state, received: !!x.received });
    this.call.invitees = next;
    this.changed('invitees');
    this._endIfAlone();
  },

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
  },

  _onRemoved({ callID, by }) {
    if (!this.call || this.call.callID !== callID) return;
    this._finishCall({ title: 'You were removed', detail: `${asUser(by).name} removed you from the call`, kind: 'error' }, 'removed');
  },

  _onDeviceState(d) {
    if (!this.call || this.call.callID !== d.callID) return;
    const m = this._member(d.userID);
    if (typeof d.camera === 'boolean') m.camera = d.camera;
    if (typeof d.microphone === 'boolean') m.microphone = d.microphone;
    if (d.audioRoute) m.audioRoute = d.audioRoute;
    this.changed('members');
  },

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
  },

  _onDeviceRequest(d) {
    if (!this.call || this.call.callID !== d.callID) return;
    const wantMic = d.microphone === true && !this.local.micOn;
    const wantCam = d.camera === true && !this.local.camOn;
    if (!wantMic && !wantCam) return;
    this.prompt = { by: asUser(d.by), microphone: wantMic, camera: wantCam };
    this.changed('prompt');
  },

  /** Answers the device prompt: turn on what was asked, or ignore it. */
  async answerPrompt(accept) {
    const p = this.prompt;
    this.prompt = null;
    this.changed('prompt');
    if (!p || !accept) return;
    if (p.microphone) await this.setMicrophone(true);
    if (p.camera) await this.setCamera(true);
  },

  _onTracks({ callID, userID, tracks }) {
    if (!this.call || this.call.callID !== callID) return;
    if (userID === this.user.id) return;
    this._member(userID).tracks = tracks || [];
    this.changed('members', 'media');
  },

  _onTrack(info) {
    if (!this.call || info.userID === this.user?.id) return;
    this.remote.set(`${info.userID}/${info.trackID}`, info);
    this.changed('media');
  },

  _onTrackRemoved(info) {
    const k = `${info.userID}/${info.trackID}`;
    const cur = this.remote.get(k);
    if (cur && cur.track === info.track) {
      this.remote.delete(k);
      this.changed('media');
    }
  },

  /** The source of a member's track (`camera`, `microphone`, `screen`) as announced. */
  sourceOf(userID, trackID, kind) {
    const m = this.call?.members.get(userID);
    const t = m?.tracks.find((x) => x.trackID === trackID);
    if (t) return t.source;
    return kind === 'audio' ? 'microphone' : 'camera';
  },

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
  },

  /** Users sharing a screen now (me included). */
  get screenSharers() {
    if (!this.call) return [];
    const ids = [];
    if (this.local.screen) ids.push(this.user.id);
    for (const m of this.others) if (this.mediaOf(m.user.id).screen) ids.push(m.user.id);
    return ids;
  },

  durationText() {
    if (!this.call) return '';
    const s = Math.floor((Date.now() - this.call.joinedAt) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  },

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
  },

  /** Ends the call locally and shows the ended screen. */
  _finishCall(ended, reason) {
    const callID = this.call?.callID || null;
    this._teardownCall();
    this._showEnded(ended);
    this.emit('callEnd', { callID, reason });
  },

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
  },

  _showEnded(ended) {
    this.ended = ended;
    this.changed('ended');
    this._setView('ended');
    clearTimeout(this._endedTimer);
    if (this.options.endedScreenMs > 0) {
      this._endedTimer = setTimeout(() => this.dismissEnded(), this.options.endedScreenMs);
    }
    this._showNextIncoming();
  },

  /** Leaves the ended screen. */
  dismissEnded() {
    clearTimeout(this._endedTimer);
    if (this.view !== 'ended') return;
    this.ended = null;
    if (this.incoming) this._setView('incoming');
    else this._setView(this.conn === 'open' ? 'home' : 'signin');
  },

  _clearEnded() {
    clearTimeout(this._endedTimer);
    this.ended = null;
  },


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
  },

  /** Cancels the invitation of a waiting invitee. */
  async cancelInvite(userID) {
    if (!this.call) return;
    await this.client.cancel({ callID: this.call.callID, userIDs: [userID] }).catch((err) => this.toast(`Cancel: ${errorText(err)}`, 'error'));
  },

  /** Removes (kicks out) a member; initiator only. */
  async removeMember(userID) {
    if (!this.call) return;
    await this.client.remove({ callID: this.call.callID, userIDs: [userID] }).catch((err) => this.toast(`Remove: ${errorText(err)}`, 'error'));
  },

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
  },

  // ---------- minimize ----------

  setMinimized(on) {
    if (!this.call || this.minimized === on) return;
    this.minimized = on;
    this.changed('minimized');
  },

};
