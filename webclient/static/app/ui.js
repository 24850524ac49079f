// The call UI's root and its simple screens (sign-in, home/dial, incoming,
// outgoing, ended). The in-call screen is callview.js. Views read the
// CallKit's state and re-render on its `change` events.

import { h, replaceChildren, avatar, icons } from './dom.js';
import { CallView } from './callview.js';
import { Sounds } from './sounds.js';
import { CALLEE_STATE_TEXT, DELIVERY_TEXT, asUser, deliveryOf } from './model.js';
import { recentsView } from './recents.js';

const ID_RE = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * Mounts the UI of a CallKit into `el`.
 */
export class CallUI {
  /**
   * @param {HTMLElement} el
   * @param {import('./callkit.js').CallKit} kit
   * @param {{devSignIn?: boolean, onDevSignIn?: (id: string, name: string) => Promise<void>, onTokenSignIn?: (token: string) => Promise<void>}} hooks
   */
  constructor(el, kit, hooks = {}) {
    this.el = el;
    this.kit = kit;
    this.hooks = hooks;
    this.sounds = new Sounds({ enabled: kit.options.sounds !== false });
    el.classList.add('rf-app');
    this.screenEl = h('div', { class: 'rf-screen-host' });
    this.banner = h('div', { class: 'rf-banner', role: 'status', 'aria-live': 'polite', hidden: true });
    this.toasts = h('div', { class: 'rf-toasts', role: 'status', 'aria-live': 'polite' });
    this.callHost = h('div', { class: 'rf-call-host' });
    el.replaceChildren(this.screenEl, this.callHost, this.banner, this.toasts);
    this.callView = null;
    this._screen = null;
    this._homeDraft = { ids: '', error: '' };
    this._offs = [
      kit.on('change', (parts) => this.update(parts)),
      kit.on('toast', (t) => this.toast(t.text, t.kind)),
    ];
    this.update(new Set(['view', 'conn']));
  }

  destroy() {
    for (const off of this._offs) off();
    this.sounds.stop();
    this.callView?.destroy();
    this.el.replaceChildren();
    this.el.classList.remove('rf-app');
  }

  /** Which simple screen shows now ('call' means the call view covers everything). */
  screenName() {
    const k = this.kit;
    if (k.view === 'call') return k.minimized ? 'home' : null;
    if (k.view === 'outgoing') return k.minimized ? 'home' : 'outgoing';
    if (k.view === 'connecting') return 'connecting';
    return k.view;
  }

  update(parts) {
    const k = this.kit;
    this.el.dataset.view = k.view;
    this.el.dataset.conn = k.conn;
    this.el.dataset.minimized = String(!!k.minimized && !!k.call);
    // The call view lives while there is a call (also behind the outgoing screen).
    if (k.call && !this.callView) {
      this.callView = new CallView(this.callHost, k, this);
    } else if (!k.call && this.callView) {
      this.callView.destroy();
      this.callView = null;
    }
    if (this.callView) this.callView.update(parts);

    const name = this.screenName();
    const rebuild = name !== this._screen
      || (name === 'incoming' && parts.has('incoming'))
      || (name === 'outgoing' && (parts.has('outgoing') || parts.has('local')))
      || (name === 'ended' && parts.has('ended'))
      || (name === 'signin' && parts.has('conn'))
      || (name === 'home' && (parts.has('conn') || parts.has('call') || parts.has('options') || parts.has('recents')));
    if (name !== this._screen || k.view !== this._view) this.clearToasts();
    this._view = k.view;
    if (rebuild) this.renderScreen(name);
    this.updateSounds();
    this.updateBanner();
  }

  updateSounds() {
    const k = this.kit;
    if (k.view === 'incoming' && k.incoming && !k.incoming.accepting) this.sounds.play('ringtone');
    else if (k.view === 'outgoing' && k.outgoing) this.sounds.play('ringback');
    else if (this.sounds.current) this.sounds.stop();
  }

  updateBanner() {
    const k = this.kit;
    const show = k.conn === 'reconnecting';
    this.banner.hidden = !show;
    if (show) replaceChildren(this.banner, h('span', { class: 'rf-spinner', 'aria-hidden': 'true' }), 'Reconnecting…');
  }

  /**
   * Shows a short message in the one toast place (top centre, under
   * dialogs). Toasts are cleared when the screen changes, except those
   * raised in the same turn as the change (they explain it, e.g. "Bob
   * canceled the call").
   */
  toast(text, kind = 'info') {
    const t = h('div', { class: `rf-toast rf-toast-${kind}`, text });
    t._fresh = true;
    queueMicrotask(() => { t._fresh = false; });
    this.toasts.append(t);
    while (this.toasts.children.length > 4) this.toasts.firstChild.remove();
    setTimeout(() => {
      t.classList.add('rf-toast-out');
      setTimeout(() => t.remove(), 300);
    }, 3500);
  }

  /** Removes the toasts of the previous screen. */
  clearToasts() {
    for (const t of [...this.toasts.children]) if (!t._fresh) t.remove();
  }

  renderScreen(name) {
    const active = document.activeElement;
    const hadFocusInside = this.screenEl.contains(active);
    this._screen = name;
    const fn = {
      signin: () => this.signInScreen(),
      connecting: () => this.connectingScreen(),
      home: () => this.homeScreen(),
      incoming: () => this.incomingScreen(),
      outgoing: () => this.outgoingScreen(),
      ended: () => this.endedScreen(),
    }[name];
    if (!fn) {
      this.screenEl.replaceChildren();
      this.screenEl.hidden = true;
      return;
    }
    this.screenEl.hidden = false;
    const screen = fn();
    screen.dataset.screen = name;
    this.screenEl.replaceChildren(screen);
    const focus = screen.querySelector('[data-autofocus]');
    if (focus && (hadFocusInside || !this.el.contains(active) || name !== 'home')) focus.focus({ preventScroll: true });
  }

  // ---------- screens ----------

  signInScreen() {
    const k = this.kit;
    const dev = !!this.hooks.devSignIn;
    const msg = k.signInMessage ? h('div', { class: 'rf-msg rf-msg-error', role: 'alert' },
      h('p', { text: k.signInMessage }), detailsOf(k.signInDetail)) : null;
    let form;
    if (dev) {
      const saved = safeJSON(localStorage.getItem('ringsfu.devUser')) || {};
      const idIn = h('input', { id: 'rf-user-id', name: 'user', autocomplete: 'username', required: true, pattern: '[A-Za-z0-9_.@\\-]{1,64}', maxlength: '64', value: saved.id || '', 'data-autofocus': true, spellcheck: 'false', autocapitalize: 'off' });
      const nameIn = h('input', { id: 'rf-user-name', name: 'name', autocomplete: 'nickname', maxlength: '128', value: saved.name || '' });
      const err = h('p', { class: 'rf-msg rf-msg-error', role: 'alert', hidden: true });
      const btn = h('button', { type: 'submit', class: 'rf-btn rf-btn-primary rf-btn-wide', text: 'Sign in' });
      form = h('form', {
        class: 'rf-form',
        onSubmit: async (e) => {
          e.preventDefault();
          const id = idIn.value.trim();
          const name = nameIn.value.trim() || id;
          if (!ID_RE.test(id)) {
            err.hidden = false;
            err.textContent = 'A user id is 1–64 letters, digits or _ . @ -';
            idIn.focus();
            return;
          }
          localStorage.setItem('ringsfu.devUser', JSON.stringify({ id, name }));
          btn.disabled = true;
          btn.textContent = 'Signing in…';
          try {
            await this.hooks.onDevSignIn(id, name);
          } catch (ex) {
            // The kit shows the message on the sign-in screen it re-renders.
            console.warn('ringsfu ui: sign-in failed', ex);
          }
        },
      },
      h('label', { for: 'rf-user-id', text: 'User ID' }), idIn,
      h('label', { for: 'rf-user-name', text: 'Display name' }), nameIn,
      err, btn,
      h('p', { class: 'rf-hint', text: 'Development mode: the server issues a token for any user id.' }));
    } else {
      const ta = h('textarea', { id: 'rf-token', rows: '4', 'data-autofocus': true, spellcheck: 'false', placeholder: 'eyJhbGciOi…' });
      form = h('form', {
        class: 'rf-form',
        onSubmit: async (e) => {
          e.preventDefault();
          const token = ta.value.trim();
          if (!token) return;
          try { await this.hooks.onTokenSignIn(token); } catch (ex) { console.warn('ringsfu ui: sign-in failed', ex); }
        },
      },
      h('p', { class: 'rf-hint', html: 'This server needs a token from your application: open this page as <code>/#token=…</code>, call <code>ringsfu.start({token})</code>, or paste one here.' }),
      h('label', { for: 'rf-token', text: 'Token' }), ta,
      h('button', { type: 'submit', class: 'rf-btn rf-btn-primary rf-btn-wide', text: 'Sign in' }));
    }
    return h('main', { class: 'rf-screen rf-signin', 'aria-labelledby': 'rf-signin-title' },
      h('div', { class: 'rf-card' },
        h('div', { class: 'rf-brand' }, h('span', { class: 'rf-logo', html: icons.phone }), h('h1', { id: 'rf-signin-title', text: 'ringsfu' })),
        h('p', { class: 'rf-sub', text: 'Voice and video calls' }),
        msg, form));
  }

  connectingScreen() {
    return h('main', { class: 'rf-screen rf-connecting' },
      h('div', { class: 'rf-card rf-center' }, h('span', { class: 'rf-spinner rf-spinner-lg', 'aria-hidden': 'true' }), h('p', { role: 'status', text: 'Connecting…' })));
  }

  homeScreen() {
    const k = this.kit;
    const u = k.user || { id: '', name: '' };
    const inCall = !!k.call;
    const ids = h('input', {
      id: 'rf-callees', name: 'callees', value: this._homeDraft.ids, 'data-autofocus': true,
      placeholder: 'e.g. bob, carol', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
      'aria-describedby': 'rf-callees-hint',
      onInput: () => { this._homeDraft.ids = ids.value; },
    });
    const err = h('p', { class: 'rf-msg rf-msg-error', role: 'alert', hidden: !this._homeDraft.error, text: this._homeDraft.error });
    const place = async (type) => {
      const list = ids.value.split(/[\s,;]+/).filter(Boolean);
      const bad = list.find((x) => !ID_RE.test(x));
      const fail = (text) => { this._homeDraft.error = text; err.textContent = text; err.hidden = false; ids.focus(); };
      if (bad) return fail(`"${bad}" is not a valid user id.`);
      if (list.length === 0) return fail('Enter the user id of the person to call.');
      if (list.length > k.options.maxInvitees) return fail(`At most ${k.options.maxInvitees} people per call.`);
      if (list.includes(u.id)) return fail('You cannot call yourself.');
      this._homeDraft.error = '';
      const known = new Map([...k.options.users, ...k.options.waitingSelectUsers].map((x) => { const a = asUser(x); return [a.id, a]; }));
      try {
        await k.startCall(list.map((id) => known.get(id) || id), { type });
      } catch (ex) {
        if (ex.code === 'bad_request' || ex.code === 'conflict') fail(ex.message);
      }
    };
    const contacts = k.options.users.map(asUser).filter((c) => c.id !== u.id);
    const chips = contacts.length ? h('div', { class: 'rf-chips', role: 'group', 'aria-label': 'Contacts' },
      contacts.map((c) => h('button', {
        type: 'button', class: 'rf-chip', 'aria-label': `Add ${c.name} to the call`,
        onClick: () => {
          const list = ids.value.split(/[\s,;]+/).filter(Boolean);
          if (!list.includes(c.id)) list.push(c.id);
          ids.value = list.join(', ');
          this._homeDraft.ids = ids.value;
        },
      }, avatar(c, 'xs'), c.name))) : null;
    const disabled = inCall || k.conn !== 'open';
    return h('main', { class: 'rf-screen rf-home', 'aria-labelledby': 'rf-home-title' },
      h('header', { class: 'rf-topbar' },
        h('div', { class: 'rf-brand rf-brand-sm' }, h('span', { class: 'rf-logo', html: icons.phone }), h('span', { text: 'ringsfu' })),
        h('div', { class: 'rf-me' }, avatar(u, 'sm'), h('span', { class: 'rf-me-name', text: u.name }),
          h('button', { type: 'button', class: 'rf-btn rf-btn-ghost rf-btn-sm', text: 'Sign out', onClick: () => k.signOut() }))),
      h('div', { class: 'rf-card rf-dial' },
        h('h1', { id: 'rf-home-title', text: 'Start a call' }),
        h('p', { class: 'rf-sub' }, 'Signed in as ', h('strong', { text: u.name }), ' · your id is ', h('code', { class: 'rf-myid', text: u.id })),
        h('form', { class: 'rf-form', onSubmit: (e) => { e.preventDefault(); place('video'); } },
          h('label', { for: 'rf-callees', text: 'Who do you want to call?' }),
          ids,
          h('p', { id: 'rf-callees-hint', class: 'rf-hint', text: `One or more user ids (up to ${k.options.maxInvitees}), separated by commas.` }),
          chips,
          err,
          h('div', { class: 'rf-row' },
            h('button', { type: 'button', class: 'rf-btn rf-btn-secondary', disabled, 'aria-label': 'Start voice call', onClick: () => place('voice') },
              h('span', { html: icons.phone }), 'Voice call'),
            h('button', { type: 'submit', class: 'rf-btn rf-btn-primary', disabled, 'aria-label': 'Start video call' },
              h('span', { html: icons.video }), 'Video call')),
          inCall ? h('p', { class: 'rf-hint', text: 'You are in a call: restore it from the floating window.' }) : null)),
      recentsView(k));
  }

  incomingScreen() {
    const k = this.kit;
    const inv = k.incoming;
    if (!inv) return h('div');
    const caller = asUser(inv.caller);
    const others = (inv.invitees || []).map(asUser).filter((x) => x.id !== k.user?.id);
    const kind = inv.type === 'voice' ? 'voice' : 'video';
    const more = k.incomingQueue.length - 1;
    const busy = !!inv.accepting;
    // An invitation into a running call says so, and who is in it (members,
    // PROTOCOL.md §9.5): anyone there besides the caller.
    const inCall = (inv.members || []).map(asUser).filter((x) => x.id !== k.user?.id);
    const ongoing = inCall.some((x) => x.id !== caller.id);
    return h('main', { class: 'rf-screen rf-incoming rf-dark-stage', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'rf-in-caller', 'aria-describedby': 'rf-in-type', dataset: { callId: inv.callID } },
      h('div', { class: 'rf-ringer' },
        h('div', { class: 'rf-pulse' }, avatar(caller, 'xl')),
        h('h1', { id: 'rf-in-caller', class: 'rf-caller', text: caller.name }),
        h('p', { id: 'rf-in-type', class: 'rf-calltype', dataset: { callType: kind, ongoing: String(ongoing) } },
          h('span', { html: kind === 'video' ? icons.video : icons.phone }), ongoing ? `Invitation to an ongoing ${kind} call` : `Incoming ${kind} call`),
        ongoing ? h('p', { class: 'rf-sub rf-ongoing-note', text: `In the call: ${inCall.map((o) => o.name).join(', ')}` })
          : (inv.invitees || []).length > 1 && others.length ? h('p', { class: 'rf-sub rf-group-note', text: `Group call with ${others.map((o) => o.name).join(', ')}` }) : null,
        more > 0 ? h('p', { class: 'rf-sub', text: `${more} more call${more > 1 ? 's' : ''} waiting` }) : null),
      h('div', { class: 'rf-answer' },
        h('div', { class: 'rf-answer-btn' },
          h('button', { type: 'button', class: 'rf-round rf-round-lg rf-danger', disabled: busy, 'aria-label': `Decline call from ${caller.name}`, html: icons.hangup, onClick: () => k.declineCall(inv.callID) }),
          h('span', { text: 'Decline', 'aria-hidden': 'true' })),
        h('div', { class: 'rf-answer-btn' },
          h('button', { type: 'button', class: 'rf-round rf-round-lg rf-accept', disabled: busy, 'data-autofocus': !busy, 'aria-label': `Accept ${kind} call from ${caller.name}`, html: kind === 'video' ? icons.video : icons.phone, onClick: () => k.acceptCall(inv.callID) }),
          h('span', { text: busy ? 'Joining…' : ongoing ? 'Join' : 'Accept', 'aria-hidden': 'true' }))));
  }

  outgoingScreen() {
    const k = this.kit;
    const out = k.outgoing;
    if (!out) return h('div');
    const callees = out.callees;
    const one = callees.length === 1;
    const preview = k.local.cam && out.type === 'video' ? this.previewVideo(k.local.cam) : null;
    // Ringing once any waiting callee's device has it; unreachable when none has it after a while.
    const states = callees.map((c) => deliveryOf(c, out)).filter(Boolean);
    const overall = states.includes('ringing') ? 'ringing' : states.includes('unreachable') ? 'unreachable' : 'calling';
    return h('main', { class: 'rf-screen rf-outgoing rf-dark-stage', 'aria-labelledby': 'rf-out-title', dataset: { callType: out.type } },
      preview ? h('div', { class: 'rf-preview-bg' }, preview) : null,
      h('div', { class: 'rf-ringer' },
        h('div', { class: `rf-avatars${one ? '' : ' rf-avatars-group'}` }, callees.slice(0, 4).map((c) => h('div', { class: one ? 'rf-pulse' : '' }, avatar(c.user, one ? 'xl' : 'lg')))),
        h('h1', { id: 'rf-out-title', class: 'rf-caller', text: callees.map((c) => c.user.name).join(', ') }),
        h('p', { class: 'rf-calltype', role: 'status', dataset: { delivery: overall } }, h('span', { html: out.type === 'video' ? icons.video : icons.phone }), `${overall === 'ringing' ? 'Ringing…' : 'Calling…'} (${out.type} call)`),
        one && overall === 'unreachable' ? h('p', { class: 'rf-sub rf-unreachable', role: 'alert', text: `${callees[0].user.name} is not reachable right now. Still trying…` }) : null,
        one ? null : h('ul', { class: 'rf-callee-states', 'aria-label': 'Invitees' },
          callees.map((c) => {
            const d = deliveryOf(c, out);
            return h('li', { dataset: { userId: c.user.id, state: c.state, delivery: d || '' } }, h('span', { text: c.user.name }),
              h('span', { class: `rf-state rf-state-${d === 'unreachable' ? 'unreachable' : c.state}`, text: d ? DELIVERY_TEXT[d] : CALLEE_STATE_TEXT[c.state] || c.state }));
          }))),
      h('div', { class: 'rf-answer' },
        h('div', { class: 'rf-answer-btn' },
          h('button', { type: 'button', class: 'rf-round rf-round-lg rf-danger', 'data-autofocus': true, 'aria-label': 'Cancel call', html: icons.hangup, onClick: () => k.cancelCall() }),
          h('span', { text: 'Cancel', 'aria-hidden': 'true' }))));
  }

  previewVideo(track) {
    if (!this._preview) {
      this._preview = h('video', { class: 'rf-mirror', autoplay: true, playsinline: true, muted: true, 'aria-hidden': 'true' });
      this._preview.muted = true;
    }
    if (this._preview._track !== track) {
      this._preview._track = track;
      this._preview.srcObject = new MediaStream([track]);
    }
    return this._preview;
  }

  endedScreen() {
    const k = this.kit;
    const e = k.ended || { title: 'Call ended', detail: '' };
    const iconFor = { declined: icons.hangup, busy: icons.phone, noAnswer: icons.phone, error: icons.close, info: icons.hangup };
    return h('main', { class: 'rf-screen rf-ended rf-dark-stage', role: 'alertdialog', 'aria-labelledby': 'rf-ended-title', 'aria-describedby': 'rf-ended-detail', dataset: { endedKind: e.kind || 'info' } },
      h('div', { class: 'rf-ringer' },
        h('div', { class: `rf-ended-icon rf-ended-${e.kind || 'info'}`, html: iconFor[e.kind] || icons.hangup }),
        h('h1', { id: 'rf-ended-title', class: 'rf-caller', text: e.title }),
        h('p', { id: 'rf-ended-detail', class: 'rf-sub', text: e.detail || '' }),
        detailsOf(e.technical)),
      h('div', { class: 'rf-answer' },
        h('button', { type: 'button', class: 'rf-btn rf-btn-secondary', 'data-autofocus': true, text: 'Back', onClick: () => k.dismissEnded() })));
  }
}

/** A "Details" disclosure with the technical text of an error (or null). */
function detailsOf(text) {
  if (!text) return null;
  return h('details', { class: 'rf-details' }, h('summary', { text: 'Details' }), h('code', { text }));
}

function safeJSON(s) {
  try { return JSON.parse(s); } catch { return null; }
}
