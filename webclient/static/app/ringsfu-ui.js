// ringsfu prebuilt call UI — the embedding API (no side effects on import).
//
//   import { mount } from '/app/ringsfu-ui.js';
//   const ui = mount(document.getElementById('calls'), {
//     token: () => fetch('/my-app/ringsfu-token').then((r) => r.text()),
//     waitingSelectUsers: [{ id: 'carol', name: 'Carol' }],
//   });
//   await ui.ready;                       // signed in
//   ui.call(['bob'], { type: 'video' });  // place a call
//
// See README.md in this directory for every option and method.

import { CallKit, DEFAULTS, asUser } from './callkit.js';
import { CallUI } from './ui.js';

export { CallKit, DEFAULTS };

/**
 * Fetches a dev-mode token (`GET /dev/token`); only dev servers have it.
 * @param {string} user
 * @param {string} [name]
 * @param {string} [base] Server origin (default: this page's).
 */
export async function fetchDevToken(user, name = user, base = '') {
  const res = await fetch(`${base}/dev/token?user=${encodeURIComponent(user)}&name=${encodeURIComponent(name)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`dev token: HTTP ${res.status} ${await res.text().catch(() => '')}`.trim());
  const body = await res.json();
  if (!body.token) throw new Error('dev token: no token in the reply');
  return body.token;
}

/**
 * Whether the server runs in dev mode (it then serves /dev/token).
 * @param {string} [base]
 * @returns {Promise<boolean>}
 */
export async function isDevServer(base = '') {
  try {
    const res = await fetch(`${base}/dev/token?user=devprobe&name=devprobe`, { cache: 'no-store' });
    if (!res.ok) return false;
    const body = await res.json();
    return typeof body.token === 'string' && body.token.length > 0;
  } catch {
    return false;
  }
}

/**
 * Mounts the call UI into `el`.
 *
 * @param {HTMLElement} el Where the UI lives (it fills it; the minimized call floats over the page).
 * @param {object} [opts] CallKit options (DEFAULTS) plus:
 * @param {string|(() => string|Promise<string>)} [opts.token] Sign in at once with this JWT
 *   (a function is called again on every reconnect, so it can refresh).
 * @param {boolean} [opts.devSignIn] Show the dev sign-in form (user id + name → /dev/token).
 * @param {string} [opts.url] WebSocket URL (default: /v1/signal on this host).
 * @returns {RingsfuUI}
 */
export function mount(el, opts = {}) {
  return new RingsfuUI(el, opts);
}

/** The handle `mount` returns. */
export class RingsfuUI {
  constructor(el, opts) {
    const { token, devSignIn, ...kitOpts } = opts;
    if (kitOpts.waitingSelectUsers) kitOpts.waitingSelectUsers = kitOpts.waitingSelectUsers.map(asUser);
    if (kitOpts.users) kitOpts.users = kitOpts.users.map(asUser);
    /** The controller (state and actions). */
    this.kit = new CallKit(kitOpts);
    /** The views. */
    this.ui = new CallUI(el, this.kit, {
      devSignIn: !!devSignIn,
      onDevSignIn: (id, name) => this.kit.signIn({ token: () => fetchDevToken(id, name) }),
      onTokenSignIn: (t) => this.kit.signIn({ token: t }),
    });
    /** Resolves once signed in (when a token was given), with the user. */
    this.ready = token ? this.signIn(token) : Promise.resolve(null);
    this.ready.catch(() => {});
    // Closing or reloading the page hangs up at once (rather than after the
    // server's resume grace period) and cancels a call being placed.
    this._onPageHide = () => this.kit.leaveOnUnload();
    addEventListener('pagehide', this._onPageHide);
  }

  /** Signs in with a token (JWT string or function returning one). */
  signIn(token) {
    return this.kit.signIn({ token });
  }

  /** Signs out (leaves any call). */
  signOut() {
    this.kit.signOut();
  }

  /**
   * Calls users (1–9). Resolves with the callID once the invitation is out.
   * @param {Array<string|{id: string, name?: string}>} users
   * @param {{type?: 'video'|'voice', timeoutSeconds?: number, callID?: string, customData?: string}} [opts]
   */
  call(users, opts) {
    return this.kit.startCall(users, opts);
  }

  /** Invites more users into the running call (respects its permissions on the server). */
  invite(users) {
    return this.kit.inviteMore(users);
  }

  /** Hangs up (or cancels an outgoing call). */
  hangUp() {
    return this.kit.hangUp();
  }

  minimize() { this.kit.setMinimized(true); }

  restore() { this.kit.setMinimized(false); }

  /**
   * Sets the "Invite members" list: Zego's waitingSelectUsers / defaultChecked.
   * @param {{waitingSelectUsers?: Array<string|{id: string, name?: string}>, defaultChecked?: boolean}} cfg
   */
  updateCallingInvitationListConfig(cfg) {
    this.kit.updateCallingInvitationListConfig(cfg);
  }

  /** Sets the contacts offered on the dial screen. */
  setUsers(users) {
    this.kit.setOptions({ users: users.map(asUser) });
  }

  /** Changes options at run time (timeoutSeconds, callConfig, confirmHangUp, showWaitingCallAcceptAudioVideoView, …). */
  setOptions(opts) {
    this.kit.setOptions(opts);
  }

  /**
   * Subscribes to UI events: `callStart` {callID}, `callEnd` {callID, reason},
   * `incomingCall` (invitation), `signedIn` (user), `signedOut` {code, reason},
   * `change` (Set of state parts), `toast` {text, kind}.
   * @returns {() => void} Unsubscribe.
   */
  on(event, fn) {
    return this.kit.on(event, fn);
  }

  /** The SDK client (RingsfuClient) while signed in. */
  get client() {
    return this.kit.client;
  }

  /** Unmounts the UI and signs out. */
  destroy() {
    removeEventListener('pagehide', this._onPageHide);
    this.kit.signOut();
    this.ui.destroy();
  }
}
