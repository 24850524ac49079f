// The in-call screen: video grid with names and device states, active
// speaker, duration, controls (microphone, camera, audio output, screen
// share, hang up), member list with the initiator's controls, "Invite
// members" panel, waiting-for-accept tiles, device prompts, the full-screen
// view of a shared screen, and the minimized floating window.

import { setupFit, applyFit } from './callview-fit.js';
import { h, replaceChildren, avatar, icons, formatDuration } from './dom.js';
import { asUser } from './model.js';
import { panelMethods } from './callview-panels.js';

const GAP = 8;

export class CallView {
  /**
   * @param {HTMLElement} host
   * @param {import('./callkit.js').CallKit} kit
   * @param {import('./ui.js').CallUI} ui
   */
  constructor(host, kit, ui) {
    this.host = host;
    this.kit = kit;
    this.ui = ui;
    /** key → tile {el, video, key, kind, userID} */
    this.tiles = new Map();
    /** MediaStreamTrack id → <audio> */
    this.audios = new Map();
    this.panel = null; // 'members' | 'invite' | null
    this.inviteSel = null;
    this.fullview = null; // userID whose screen is full screen
    this._restoreFocus = null;

    this.title = h('h2', { class: 'rf-call-title-text' });
    this.duration = h('span', { class: 'rf-duration', role: 'timer', 'aria-label': 'Call duration', text: '00:00' });
    this.btnMin = h('button', { type: 'button', class: 'rf-icon-btn', 'aria-label': 'Minimize call', title: 'Minimize', html: icons.minimize, onClick: () => kit.setMinimized(true) });
    this.btnInvite = h('button', { type: 'button', class: 'rf-icon-btn', 'aria-label': 'Invite members', title: 'Invite members', html: icons.userPlus, onClick: () => this.togglePanel('invite') });
    this.memberCount = h('span', { class: 'rf-badge', text: '1' });
    this.btnMembers = h('button', { type: 'button', class: 'rf-icon-btn', 'aria-label': 'Members', title: 'Members', onClick: () => this.togglePanel('members') });
    this.btnMembers.innerHTML = icons.users;
    this.btnMembers.append(this.memberCount);
    const top = h('header', { class: 'rf-call-top' },
      this.btnMin,
      h('div', { class: 'rf-call-title' }, this.title, h('div', { class: 'rf-call-sub' }, this.duration)),
      h('div', { class: 'rf-call-actions' }, this.btnInvite, this.btnMembers));

    this.stage = h('div', { class: 'rf-stage', role: 'region', 'aria-label': 'Participants' });
    this.grid = h('div', { class: 'rf-grid' });
    this.strip = h('div', { class: 'rf-strip' });
    this.main = h('div', { class: 'rf-main' });
    this.stage.append(this.main, this.grid, this.strip);

    this.btnMic = h('button', { type: 'button', class: 'rf-round', onClick: () => kit.setMicrophone(!kit.local.micOn) });
    this.btnCam = h('button', { type: 'button', class: 'rf-round', onClick: () => kit.setCamera(!kit.local.camOn) });
    this.btnOut = h('button', { type: 'button', class: 'rf-round', 'aria-label': 'Audio output', title: 'Audio output', 'aria-haspopup': 'menu', 'aria-expanded': 'false', html: icons.speaker, onClick: () => this.toggleOutputMenu() });
    this.btnScreen = h('button', { type: 'button', class: 'rf-round', onClick: () => kit.setScreenShare(!kit.local.screen) });
    this.btnHang = h('button', { type: 'button', class: 'rf-round rf-danger', 'aria-label': 'Hang up', title: 'Hang up', html: icons.hangup, onClick: () => this.hangUp() });
    this.outMenu = h('div', { class: 'rf-menu', role: 'menu', 'aria-label': 'Audio output', hidden: true });
    const controls = h('footer', { class: 'rf-controls', role: 'toolbar', 'aria-label': 'Call controls' },
      this.btnMic, this.btnCam, h('div', { class: 'rf-menu-anchor' }, this.btnOut, this.outMenu), this.btnScreen, this.btnHang);
    if (!navigator.mediaDevices?.getDisplayMedia && !kit.options.screenStream) this.btnScreen.hidden = true;

    this.panelEl = h('aside', { class: 'rf-panel', hidden: true, 'aria-labelledby': 'rf-panel-title' });
    this.dialogs = h('div', { class: 'rf-dialogs' });
    this.fullEl = h('div', { class: 'rf-fullview', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Shared screen', hidden: true });
    this.audioHost = h('div', { class: 'rf-audio', hidden: true });

    this.miniVideo = h('video', { autoplay: true, playsinline: true, muted: true, 'aria-hidden': 'true' });
    this.miniVideo.muted = true;
    this.miniAvatar = h('div', { class: 'rf-mini-avatar' });
    this.miniName = h('span', { class: 'rf-mini-name' });
    this.miniDuration = h('span', { class: 'rf-mini-duration', role: 'timer' });
    this.miniMic = h('button', { type: 'button', class: 'rf-round rf-round-sm', onClick: () => kit.setMicrophone(!kit.local.micOn) });
    this.mini = h('div', { class: 'rf-mini', role: 'region', 'aria-label': 'Call (minimized)' },
      h('div', { class: 'rf-mini-media', onDblclick: () => kit.setMinimized(false) }, this.miniVideo, this.miniAvatar),
      h('div', { class: 'rf-mini-info' }, this.miniName, this.miniDuration),
      h('div', { class: 'rf-mini-actions' },
        h('button', { type: 'button', class: 'rf-round rf-round-sm', 'aria-label': 'Restore call', title: 'Restore', html: icons.maximize, onClick: () => kit.setMinimized(false) }),
        this.miniMic,
        h('button', { type: 'button', class: 'rf-round rf-round-sm rf-danger', 'aria-label': 'Hang up', html: icons.hangup, onClick: () => this.hangUp() })));
    this.makeDraggable(this.mini);

    this.full = h('div', { class: 'rf-call-full' }, top, this.stage, controls, this.panelEl);
    this.el = h('section', { class: 'rf-call', 'aria-label': 'Call', tabindex: '-1' }, this.full, this.mini, this.dialogs, this.fullEl, this.audioHost);
    this.el.addEventListener('keydown', (e) => this.onKey(e));
    host.replaceChildren(this.el);

    this._ro = new ResizeObserver(() => this.layout());
    this._ro.observe(this.stage);
    this._tick = setInterval(() => this.tick(), 1000);
    this._wasRinging = kit.call.ringing;
    this.update(new Set(['call', 'members', 'media', 'local', 'invitees', 'conn', 'minimized', 'speakers']));
  }

  destroy() {
    clearInterval(this._tick);
    this._ro.disconnect();
    if (document.fullscreenElement && this.el.contains(document.fullscreenElement)) document.exitFullscreen().catch(() => {});
    for (const a of this.audios.values()) { a.srcObject = null; a.remove(); }
    this.audios.clear();
    for (const t of this.tiles.values()) if (t.video) t.video.srcObject = null;
    this.host.replaceChildren();
  }

  get call() {
    return this.kit.call;
  }

  update(parts) {
    const kit = this.kit;
    const c = kit.call;
    if (!c) return;
    this.el.hidden = c.ringing;
    this.el.dataset.minimized = String(kit.minimized);
    this.el.dataset.callType = c.type;
    if (c.ringing) return;
    if (this._wasRinging || !this._shown) {
      this._wasRinging = false;
      this._shown = true;
      queueMicrotask(() => { if (!kit.minimized) this.btnMic.focus({ preventScroll: true }); });
    }
    const all = parts.has('call') || parts.has('view');
    if (all || parts.has('members') || parts.has('local') || parts.has('options')) this.updateHeader();
    if (all || parts.has('members') || parts.has('media') || parts.has('local') || parts.has('invitees') || parts.has('options')) {
      this.updateTiles();
      this.updateAudio();
    }
    if (all || parts.has('speakers') || parts.has('members')) this.updateSpeakers();
    if (all || parts.has('local')) this.updateControls();
    // One reconnecting indicator (the app's banner); here the other people's
    // tiles are marked frozen, as their video stops until the connection is back.
    if (all || parts.has('conn') || parts.has('members') || parts.has('media')) {
      const frozen = kit.conn === 'reconnecting';
      this.el.dataset.conn = kit.conn;
      for (const t of this.stage.querySelectorAll('.rf-tile')) t.dataset.frozen = String(frozen && t.dataset.kind !== 'self');
    }
    if (this.panel && (all || parts.has('members') || parts.has('invitees') || parts.has('options') || parts.has('local'))) this.renderPanel();
    if (parts.has('prompt') || all) this.renderPrompt();
    if (all || parts.has('minimized') || parts.has('media') || parts.has('members') || parts.has('speakers') || parts.has('local')) this.updateMini();
    if (this.fullview && !kit.mediaOf(this.fullview).screen) this.closeFullView();
    if (parts.has('minimized') && !kit.minimized && this._restoreFocus) {
      this.btnMin.focus({ preventScroll: true });
      this._restoreFocus = null;
    }
    if (parts.has('minimized') && kit.minimized) this._restoreFocus = true;
  }

  tick() {
    const t = this.kit.call ? formatDuration(Date.now() - this.kit.call.joinedAt) : '';
    this.duration.textContent = t;
    this.miniDuration.textContent = t;
  }

  // ---------- header ----------

  updateHeader() {
    const kit = this.kit;
    const others = kit.others;
    const names = others.map((m) => m.user.name);
    this.title.textContent = names.length === 0 ? (kit.call.type === 'video' ? 'Video call' : 'Voice call')
      : names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} others`;
    this.memberCount.textContent = String(kit.call.members.size);
    this.btnMembers.setAttribute('aria-label', `Members (${kit.call.members.size})`);
    this.btnInvite.hidden = !kit.canInvite;
    this.tick();
  }

  // ---------- tiles ----------

  /** The tiles to show, in order: [{key, kind, userID, user}]. */
  desiredTiles() {
    const kit = this.kit;
    const me = kit.user;
    const out = [];
    for (const id of kit.screenSharers) {
      const u = id === me.id ? me : kit.call.members.get(id)?.user || asUser(id);
      out.push({ key: `screen:${id}`, kind: 'screen', userID: id, user: u });
    }
    out.push({ key: `user:${me.id}`, kind: 'self', userID: me.id, user: me });
    for (const m of kit.others) out.push({ key: `user:${m.user.id}`, kind: 'member', userID: m.user.id, user: m.user });
    if (kit.options.showWaitingCallAcceptAudioVideoView) {
      for (const iv of kit.waiting) out.push({ key: `waiting:${iv.user.id}`, kind: 'waiting', userID: iv.user.id, user: iv.user });
    }
    return out;
  }

  updateTiles() {
    const want = this.desiredTiles();
    const keys = new Set(want.map((w) => w.key));
    for (const [k, t] of this.tiles) {
      if (!keys.has(k)) {
        if (t.video) t.video.srcObject = null;
        t.el.remove();
        this.tiles.delete(k);
      }
    }
    for (const w of want) {
      let t = this.tiles.get(w.key);
      if (!t) {
        t = this.makeTile(w);
        this.tiles.set(w.key, t);
      }
      this.fillTile(t, w);
    }
    // Layout mode.
    const screens = want.filter((w) => w.kind === 'screen');
    const people = want.filter((w) => w.kind !== 'screen');
    let mode = 'grid';
    if (screens.length) mode = 'present';
    else if (this.kit.call.type === 'voice') mode = 'voice'; // large avatars with a speaking ring
    else if (people.length === 2 && people.some((p) => p.kind === 'member')) mode = 'duo';
    this.stage.dataset.mode = mode;
    this.stage.dataset.count = String(people.length);
    if (mode === 'present') {
      this.placeAll(this.main, screens);
      this.placeAll(this.strip, people);
      this.grid.replaceChildren();
    } else {
      this.main.replaceChildren();
      this.strip.replaceChildren();
      // Duo: the other person fills the stage, I am a small picture-in-picture.
      const ordered = mode === 'duo' ? [...people.filter((p) => p.kind !== 'self'), ...people.filter((p) => p.kind === 'self')] : people;
      this.placeAll(this.grid, ordered);
    }
    this.layout();
  }

  /** Puts tiles into `parent` in order, moving only what is out of place (videos keep playing). */
  placeAll(parent, list) {
    const els = list.map((w) => this.tiles.get(w.key).el);
    els.forEach((el, i) => {
      if (parent.children[i] !== el) parent.insertBefore(el, parent.children[i] || null);
    });
    while (parent.children.length > els.length) parent.lastChild.remove();
  }

  makeTile(w) {
    const kit = this.kit;
    const el = h('div', { class: `rf-tile rf-tile-${w.kind}`, role: 'group', dataset: { userId: w.userID, kind: w.kind, key: w.key } });
    const t = { el, key: w.key, kind: w.kind, userID: w.userID, track: null };
    const ownScreen = w.kind === 'screen' && w.userID === kit.user.id;
    if (ownScreen) {
      // The presenter does not watch their own screen (a hall of mirrors):
      // a note and a way to stop instead.
      t.presenting = h('div', { class: 'rf-presenting', role: 'status' },
        h('span', { class: 'rf-presenting-icon', html: icons.screen, 'aria-hidden': 'true' }),
        h('p', { text: 'You are presenting' }),
        h('button', { type: 'button', class: 'rf-btn rf-btn-danger rf-btn-sm', text: 'Stop presenting', onClick: () => kit.setScreenShare(false) }));
      el.append(t.presenting);
    } else if (w.kind !== 'waiting') {
      t.video = h('video', { autoplay: true, playsinline: true, muted: true });
      t.video.muted = true;
      if (w.kind === 'self') t.video.classList.add('rf-mirror');
      if (w.kind === 'screen') t.video.classList.add('rf-contain');
      el.append(t.video);
    }
    t.avatarWrap = h('div', { class: 'rf-tile-avatar' }, avatar(w.user, 'lg'));
    t.name = h('span', { class: 'rf-tile-name' });
    t.micIcon = h('span', { class: 'rf-tile-mic', 'aria-hidden': 'true' });
    t.label = h('div', { class: 'rf-tile-label' }, t.micIcon, t.name);
    el.append(t.avatarWrap, t.label);
    if (w.kind === 'waiting') {
      t.status = h('div', { class: 'rf-tile-status' }, h('span', { class: 'rf-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', { text: 'Waiting…' }));
      t.cancel = h('button', {
        type: 'button', class: 'rf-btn rf-btn-sm rf-btn-danger-soft', text: 'Cancel',
        'aria-label': `Cancel invitation to ${w.user.name}`,
        onClick: () => kit.cancelInvite(w.userID),
      });
      el.append(t.status, t.cancel);
    }
    if (w.kind === 'screen' && !ownScreen) {
      t.expand = h('button', {
        type: 'button', class: 'rf-icon-btn rf-tile-expand', html: icons.expand,
        'aria-label': w.userID === kit.user.id ? 'View your screen full screen' : `View ${w.user.name}'s screen full screen`,
        onClick: () => this.openFullView(w.userID),
      });
      el.append(t.expand);
      el.addEventListener('dblclick', () => this.openFullView(w.userID));
    }
    setupFit(t);
    return t;
  }

  fillTile(t, w) {
    const kit = this.kit;
    const me = kit.user.id;
    let track = null;
    let micOn = true;
    let camOn = false;
    let label = w.user.name;
    if (w.kind === 'screen') {
      track = kit.mediaOf(w.userID).screen;
      label = w.userID === me ? 'Your screen' : `${w.user.name}'s screen`;
    } else if (w.kind === 'self') {
      track = kit.mediaOf(me).camera;
      micOn = kit.local.micOn;
      camOn = kit.local.camOn && !!track;
      label = `${w.user.name} (You)`;
    } else if (w.kind === 'member') {
      const m = kit.call.members.get(w.userID);
      micOn = m ? m.microphone : true;
      track = kit.mediaOf(w.userID).camera;
      camOn = !!track && m?.camera !== false;
      if (kit.call.initiator.id === w.userID) label += ' · Host';
    } else {
      micOn = true;
      label = w.user.name;
    }
    const showVideo = w.kind === 'screen' ? !!track : camOn && !!track;
    if (t.video) {
      if (t.track !== track) {
        t.track = track;
        t.video.srcObject = track ? new MediaStream([track]) : null;
        if (track) t.video.play().catch(() => {});
      }
      t.video.hidden = !showVideo;
    }
    t.avatarWrap.hidden = showVideo || !!t.presenting;
    t.el.dataset.camera = String(showVideo);
    t.el.dataset.microphone = String(micOn);
    t.name.textContent = label;
    t.fitName = w.kind === 'self' ? 'your video' : `${w.user.name}'s video`;
    applyFit(t);
    t.micIcon.innerHTML = micOn ? icons.mic : icons.micOff;
    t.micIcon.classList.toggle('rf-off', !micOn);
    t.micIcon.hidden = w.kind === 'screen' || w.kind === 'waiting';
    const states = [];
    if (w.kind === 'waiting') states.push('waiting to accept');
    else if (w.kind !== 'screen') {
      states.push(micOn ? 'microphone on' : 'microphone off');
      if (kit.call.type === 'video') states.push(showVideo ? 'camera on' : 'camera off');
    }
    t.el.setAttribute('aria-label', states.length ? `${label}: ${states.join(', ')}` : label);
    if (t.cancel) t.cancel.hidden = !kit.canCancelInvite(w.userID);
  }

  /** Sizes the grid: the column count that gives the largest tiles. */
  layout() {
    const mode = this.stage.dataset.mode;
    const cs = getComputedStyle(this.stage);
    const W = this.stage.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const H = this.stage.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    if (!W || !H) return;
    if (mode === 'grid') {
      const n = this.grid.children.length || 1;
      const aspect = W >= H ? 16 / 9 : (n <= 2 ? 3 / 4 : 1);
      let best = { cols: 1, w: 0, h: 0 };
      for (let cols = 1; cols <= n; cols++) {
        const rows = Math.ceil(n / cols);
        const maxW = (W - GAP * (cols - 1)) / cols;
        const maxH = (H - GAP * (rows - 1)) / rows;
        const w = Math.min(maxW, maxH * aspect);
        if (w > best.w) best = { cols, w, h: w / aspect };
      }
      this.grid.style.setProperty('--cols', String(best.cols));
      this.grid.style.setProperty('--tile-w', `${Math.floor(best.w)}px`);
      this.grid.style.setProperty('--tile-h', `${Math.floor(best.h)}px`);
    }
    if (mode === 'voice') {
      // Avatars as large as the room allows, within 72–176 px.
      const n = this.grid.children.length || 1;
      const cols = Math.min(n, W >= H ? Math.ceil(Math.sqrt(n * 1.5)) : Math.ceil(Math.sqrt(n / 1.5)));
      const rows = Math.ceil(n / cols);
      const size = Math.max(72, Math.min(176, (W - 48 * cols) / cols, (H - 60 * rows) / rows - 40));
      this.grid.style.setProperty('--voice-size', `${Math.floor(size)}px`);
    }
    this.stage.dataset.orient = W >= H ? 'landscape' : 'portrait';
    for (const t of this.tiles.values()) applyFit(t);
  }

  updateSpeakers() {
    const sp = this.kit.speakers;
    for (const t of this.tiles.values()) {
      if (t.kind !== 'self' && t.kind !== 'member') continue;
      const speaking = sp.speaking.has(t.userID);
      t.el.classList.toggle('rf-speaking', speaking);
      t.el.classList.toggle('rf-active', sp.active === t.userID);
      t.el.dataset.speaking = String(speaking);
      // The voice layout's ring grows with the audio level (0…1, speech is
      // mostly below 0.3: the square root spreads it).
      const level = speaking ? Math.min(1, Math.sqrt(sp.levels.get(t.userID) || 0) * 1.6) : 0;
      t.el.style.setProperty('--level', level.toFixed(2));
    }
    this.el.dataset.activeSpeaker = sp.active || '';
  }

  // ---------- audio ----------

  updateAudio() {
    const kit = this.kit;
    const live = new Set();
    for (const r of kit.remote.values()) {
      if (r.kind !== 'audio') continue;
      live.add(r.track.id);
      let a = this.audios.get(r.track.id);
      if (!a) {
        a = h('audio', { autoplay: true, dataset: { userId: r.userID } });
        a.srcObject = new MediaStream([r.track]);
        this.audioHost.append(a);
        this.audios.set(r.track.id, a);
        this.applySink(a);
        a.play().catch(() => {});
      }
    }
    for (const [id, a] of this.audios) {
      if (!live.has(id)) { a.srcObject = null; a.remove(); this.audios.delete(id); }
    }
    const want = kit.local.audioOutput;
    if (want !== this._sink) {
      this._sink = want;
      for (const a of this.audios.values()) this.applySink(a);
    }
  }

  applySink(a) {
    const id = this.kit.local.audioOutput || 'default';
    if (typeof a.setSinkId === 'function' && a.sinkId !== id && !(id === 'default' && a.sinkId === '')) {
      a.setSinkId(id).catch((err) => console.warn('ringsfu ui: setSinkId', err));
    }
  }

  async toggleOutputMenu(force) {
    const open = force ?? this.outMenu.hidden;
    if (!open) {
      this.outMenu.hidden = true;
      this.btnOut.setAttribute('aria-expanded', 'false');
      return;
    }
    const outs = await this.kit.audioOutputs().catch(() => []);
    const cur = this.kit.local.audioOutput || 'default';
    const items = outs.length ? outs.map((o) => h('button', {
      type: 'button', role: 'menuitemradio', class: 'rf-menu-item', 'aria-checked': String(o.deviceId === cur),
      dataset: { deviceId: o.deviceId, route: o.route },
      onClick: async () => {
        this.toggleOutputMenu(false);
        this.btnOut.focus();
        await this.kit.setAudioOutput(o.deviceId, o.route);
      },
    }, h('span', { class: 'rf-menu-check', html: o.deviceId === cur ? icons.check : '' }), h('span', { class: 'rf-menu-label', text: o.label, title: o.label }), o.routeText ? h('small', { text: o.routeText }) : h('span')))
      : [h('p', { class: 'rf-menu-empty', text: 'This browser cannot choose the audio output; the system default is used.' })];
    replaceChildren(this.outMenu, items);
    this.outMenu.hidden = false;
    this.btnOut.setAttribute('aria-expanded', 'true');
    this.outMenu.querySelector('[aria-checked="true"]')?.focus() || this.outMenu.querySelector('button')?.focus();
  }

  // ---------- controls ----------

  updateControls() {
    const kit = this.kit;
    const l = kit.local;
    const micAction = l.micOn ? 'Turn microphone off' : 'Turn microphone on';
    setToggle(this.btnMic, l.micOn, l.micOn ? icons.mic : icons.micOff, 'Microphone', micAction);
    setToggle(this.miniMic, l.micOn, l.micOn ? icons.mic : icons.micOff, 'Microphone', micAction);
    this.btnCam.hidden = kit.call.type !== 'video';
    setToggle(this.btnCam, l.camOn, l.camOn ? icons.cam : icons.camOff, 'Camera', l.camOn ? 'Turn camera off' : 'Turn camera on');
    const sharing = !!l.screen;
    setToggle(this.btnScreen, sharing, sharing ? icons.screenStop : icons.screen, 'Share screen', sharing ? 'Stop sharing screen' : 'Share screen', false);
    this.btnOut.title = `Audio output: ${l.audioRoute}`;
  }

  hangUp() {
    if (!this.kit.options.confirmHangUp) {
      this.kit.hangUp();
      return;
    }
    this.dialog({
      title: 'Leave the call?',
      text: 'You will leave this call. Others can continue.',
      ok: 'Leave', okClass: 'rf-btn-danger', cancel: 'Stay',
      onOk: () => this.kit.hangUp(),
      label: 'hangup-confirm',
    });
  }

  // ---------- full-screen view of a shared screen ----------

  openFullView(userID) {
    const track = this.kit.mediaOf(userID).screen;
    if (!track) return;
    this.fullview = userID;
    this._fullOpener = document.activeElement;
    const name = userID === this.kit.user.id ? 'Your screen' : `${this.kit.call.members.get(userID)?.user.name || userID}'s screen`;
    const v = h('video', { autoplay: true, playsinline: true, muted: true, class: 'rf-contain' });
    v.muted = true;
    v.srcObject = new MediaStream([track]);
    const close = h('button', { type: 'button', class: 'rf-icon-btn rf-full-close', 'aria-label': 'Exit full screen', html: icons.close, onClick: () => this.closeFullView() });
    replaceChildren(this.fullEl, v, h('div', { class: 'rf-full-label', text: name }), close);
    this.fullEl.hidden = false;
    this.fullEl.dataset.userId = userID;
    this.el.dataset.fullview = userID;
    close.focus();
    if (this.fullEl.requestFullscreen && this.kit.options.browserFullscreen !== false) this.fullEl.requestFullscreen().catch(() => {});
  }

  closeFullView() {
    if (!this.fullview) return;
    this.fullview = null;
    const v = this.fullEl.querySelector('video');
    if (v) v.srcObject = null;
    this.fullEl.hidden = true;
    this.fullEl.replaceChildren();
    delete this.el.dataset.fullview;
    if (document.fullscreenElement === this.fullEl) document.exitFullscreen().catch(() => {});
    if (this._fullOpener && document.contains(this._fullOpener)) this._fullOpener.focus({ preventScroll: true });
  }

  // ---------- minimized ----------

  updateMini() {
    const kit = this.kit;
    if (!kit.minimized) {
      if (this.miniVideo.srcObject) this.miniVideo.srcObject = null;
      this._miniTrack = null;
      return;
    }
    // Show a shared screen, else the active speaker, else the first other member, else me.
    const others = kit.others;
    let who = kit.screenSharers.find((id) => id !== kit.user.id);
    let track = who ? kit.mediaOf(who).screen : null;
    if (!track) {
      const act = kit.speakers.active && kit.speakers.active !== kit.user.id ? kit.speakers.active : null;
      who = act || others[0]?.user.id || kit.user.id;
      track = kit.mediaOf(who).camera;
    }
    const user = who === kit.user.id ? kit.user : kit.call.members.get(who)?.user || asUser(who);
    if (this._miniTrack !== track) {
      this._miniTrack = track;
      this.miniVideo.srcObject = track ? new MediaStream([track]) : null;
    }
    this.miniVideo.hidden = !track;
    this.miniVideo.classList.toggle('rf-mirror', who === kit.user.id);
    replaceChildren(this.miniAvatar, avatar(user, 'md'));
    this.miniAvatar.hidden = !!track;
    this.miniName.textContent = others.length > 1 ? `${user.name} +${others.length - 1}` : user.name;
    this.mini.dataset.userId = who;
    this.tick();
  }

  makeDraggable(el) {
    let start = null;
    el.addEventListener('pointerdown', (e) => {
      if (e.target.closest('button')) return;
      const r = el.getBoundingClientRect();
      start = { x: e.clientX, y: e.clientY, right: innerWidth - r.right, bottom: innerHeight - r.bottom };
      el.setPointerCapture(e.pointerId);
    });
    el.addEventListener('pointermove', (e) => {
      if (!start) return;
      const right = Math.max(4, Math.min(innerWidth - el.offsetWidth - 4, start.right - (e.clientX - start.x)));
      const bottom = Math.max(4, Math.min(innerHeight - el.offsetHeight - 4, start.bottom - (e.clientY - start.y)));
      el.style.right = `${right}px`;
      el.style.bottom = `${bottom}px`;
    });
    const end = () => { start = null; };
    el.addEventListener('pointerup', end);
    el.addEventListener('pointercancel', end);
  }

  // ---------- keyboard ----------

  onKey(e) {
    if (e.key !== 'Escape') return;
    const dlg = this.dialogs.lastElementChild;
    if (dlg) { dlg._cancel?.(); e.stopPropagation(); return; }
    if (this.fullview) { this.closeFullView(); e.stopPropagation(); return; }
    if (!this.outMenu.hidden) { this.toggleOutputMenu(false); this.btnOut.focus(); e.stopPropagation(); return; }
    if (this.panel) { this.closePanel(); e.stopPropagation(); }
  }
}

/**
 * A toggle button: a stable accessible name with aria-pressed (true = the
 * device is on / sharing), and the action it would take as its tooltip.
 */
function setToggle(btn, on, icon, name, action, offLooksAlarming = true) {
  btn.innerHTML = icon;
  btn.setAttribute('aria-label', name);
  btn.setAttribute('aria-pressed', String(!!on));
  btn.title = action;
  btn.classList.toggle('rf-off', !on && offLooksAlarming);
  btn.classList.toggle('rf-on', !!on && !offLooksAlarming);
}

// The panels and dialogs live in callview-panels.js.
Object.defineProperties(CallView.prototype, Object.getOwnPropertyDescriptors(panelMethods));
