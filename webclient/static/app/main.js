// Page bootstrap of the prebuilt call UI served at `/`.
//
// Sign-in, in this order:
//   1. `#token=<JWT>` in the URL fragment (removed from the address bar at once);
//   2. `window.ringsfuConfig = {token, ...options}` set by a script before this module;
//   3. `window.ringsfu.start({token, ...options})` called later by the embedding page;
//   4. dev mode (the server answers /dev/token): a form asks for a user id and name;
//      otherwise a form asks for a token.
// Options may also come from the fragment or query string (see README.md).

import { mount, isDevServer, fetchDevToken } from './ringsfu-ui.js';

const BOOL = new Set(['confirmHangUp', 'showWaitingCallAcceptAudioVideoView', 'defaultChecked', 'simulcast', 'sounds', 'browserFullscreen']);
const NUM = new Set(['timeoutSeconds', 'endedScreenMs']);
const CONFIG = new Set(['canInvitingInCalling', 'onlyInitiatorCanInvite', 'endCallWhenInitiatorLeave']);

/** "carol:Carol Smith,dave" → [{id:'carol',name:'Carol Smith'},{id:'dave',name:'dave'}] */
function parseUsers(s) {
  return s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
    const [id, ...rest] = x.split(':');
    return { id: id.trim(), name: rest.join(':').trim() || id.trim() };
  });
}

/** Options from the query string and the fragment (the fragment wins). */
export function optionsFromURL(loc = location) {
  const out = {};
  const callConfig = {};
  const sources = [new URLSearchParams(loc.search), new URLSearchParams(loc.hash.replace(/^#/, ''))];
  sources.forEach((params, i) => {
    for (const [k, v] of params) {
      if (k === 'token') { if (i === 1) out.token = v; continue; } // tokens only in the fragment
      const key = k === 'timeout' ? 'timeoutSeconds' : k;
      if (BOOL.has(key)) out[key] = !/^(0|false|no|off)$/i.test(v);
      else if (NUM.has(key)) out[key] = Number(v);
      else if (CONFIG.has(key)) callConfig[key] = !/^(0|false|no|off)$/i.test(v);
      else if (key === 'waitingSelectUsers' || key === 'users') out[key] = parseUsers(v);
      else if (key === 'user' || key === 'name') out[`dev_${key}`] = v;
    }
  });
  if (Object.keys(callConfig).length) out.callConfig = callConfig;
  return out;
}

function stripTokenFromURL() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (!params.has('token')) return;
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

async function boot() {
  const root = document.getElementById('ringsfu') || document.body.appendChild(document.createElement('div'));
  const fromURL = optionsFromURL();
  stripTokenFromURL();
  const pre = globalThis.ringsfuConfig || {};
  const { dev_user: devUser, dev_name: devName, ...urlOpts } = fromURL;
  const opts = { ...pre, ...urlOpts, callConfig: { ...(pre.callConfig || {}), ...(urlOpts.callConfig || {}) } };
  const token = opts.token;
  delete opts.token;
  // A dev server keeps its dev sign-in form even when a #token fails.
  const dev = await isDevServer();
  const ui = mount(root, { ...opts, devSignIn: dev });

  const api = {
    /** The mounted UI handle (see ringsfu-ui.js). */
    ui,
    mount,
    /**
     * Signs in with the embedding app's token and applies options.
     * @param {{token: string|(() => string|Promise<string>)} & object} o
     */
    async start(o = {}) {
      const { token: t, waitingSelectUsers, defaultChecked, ...rest } = o;
      if (Object.keys(rest).length) ui.setOptions(rest);
      if (waitingSelectUsers || defaultChecked !== undefined) ui.updateCallingInvitationListConfig({ waitingSelectUsers, defaultChecked });
      if (t) await ui.signIn(t);
      return ui;
    },
    call: (users, o) => ui.call(users, o),
    hangUp: () => ui.hangUp(),
    minimize: () => ui.minimize(),
    restore: () => ui.restore(),
    updateCallingInvitationListConfig: (cfg) => ui.updateCallingInvitationListConfig(cfg),
    on: (ev, fn) => ui.on(ev, fn),
  };
  globalThis.ringsfu = api;

  // Test and diagnostics hook.
  globalThis.__ringsfu = {
    ui,
    kit: ui.kit,
    get client() { return ui.kit.client; },
    stats: () => ui.kit.mediaStats(),
    sound: () => ui.ui.sounds.current,
    soundDetail: () => ui.ui.sounds.detail,
    state: () => {
      const k = ui.kit;
      return {
        view: k.view, conn: k.conn, user: k.user, minimized: k.minimized,
        incoming: k.incoming && { callID: k.incoming.callID, caller: k.incoming.caller, type: k.incoming.type },
        outgoing: k.outgoing && { callID: k.outgoing.callID, type: k.outgoing.type, callees: k.outgoing.callees },
        call: k.call && {
          callID: k.call.callID, type: k.call.type, initiator: k.call.initiator, ringing: k.call.ringing,
          members: [...k.call.members.values()].map((m) => ({ id: m.user.id, name: m.user.name, camera: m.camera, microphone: m.microphone, audioRoute: m.audioRoute })),
          invitees: [...k.call.invitees.values()],
        },
        local: { micOn: k.local.micOn, camOn: k.local.camOn, screen: !!k.local.screen, audioOutput: k.local.audioOutput, audioRoute: k.local.audioRoute },
        ended: k.ended,
        activeSpeaker: k.speakers.active,
        speaking: [...k.speakers.speaking],
        sound: ui.ui.sounds.current,
      };
    },
  };

  if (token) {
    await ui.signIn(token).catch(() => {});
  } else if (dev && devUser) {
    await ui.kit.signIn({ token: () => fetchDevToken(devUser, devName || devUser) }).catch(() => {});
  }
  // Web Push (push.js): service worker, subscription, notification actions.
  // Not awaited: push is an extra and must never delay the UI.
  import('./push.js').then((m) => m.setupPush(ui)).then((p) => { api.push = p; }).catch(() => {});
  document.dispatchEvent(new CustomEvent('ringsfu:ready', { detail: api }));
}

boot().catch((err) => {
  console.error('ringsfu ui: boot failed', err);
  document.body.textContent = `ringsfu: ${err.message}`;
});
