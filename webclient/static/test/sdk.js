// SDK-only test page: exposes the SDK and a recorder of every event on
// window.__test, for tests that drive it with page.evaluate.
import * as sdk from '/sdk/ringsfu.js';

const SDK_EVENTS = ['connected', 'reconnecting', 'reconnected', 'disconnected', 'error'];

const T = {
  sdk,
  client: null,
  /** Every event the client emitted, in order: {name, data, at}. */
  events: [],

  /** Fetches a dev token, connects and records every event. */
  async signIn(user, name, opts = {}) {
    const res = await fetch(`/dev/token?user=${encodeURIComponent(user)}&name=${encodeURIComponent(name)}`);
    if (!res.ok) throw new Error(`dev token: ${res.status} ${await res.text()}`);
    const { token } = await res.json();
    const client = new sdk.RingsfuClient(opts.clientOptions);
    for (const ev of [...sdk.SERVER_EVENTS, ...SDK_EVENTS]) {
      client.on(ev, (data) => T.events.push({ name: ev, data: plain(data), at: Date.now() }));
    }
    T.client = client;
    return client.connect({ token, deviceId: opts.deviceId || `test-${user}` });
  },

  /** Resolves with the first recorded event named `name` matching `match` (shallow equality on data fields). */
  async waitEvent(name, match = {}, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = T.events.find((e) => e.name === name && Object.entries(match).every(([k, v]) => e.data?.[k] === v));
      if (hit) return hit.data;
      if (Date.now() > deadline) throw new Error(`no ${name} event matching ${JSON.stringify(match)}; got ${T.events.map((e) => e.name).join(',')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  },

  /** Runs a client method; resolves {ok, result} or {ok:false, code, message, isRingsfuError}. */
  async call(method, ...args) {
    try {
      return { ok: true, result: plain(await T.client[method](...args)) };
    } catch (err) {
      return { ok: false, code: err.code, message: err.message, isRingsfuError: err instanceof sdk.RingsfuError };
    }
  },
};

function plain(v) {
  if (v instanceof Error) return { error: true, code: v.code, message: v.message };
  try { return JSON.parse(JSON.stringify(v ?? null)); } catch { return String(v); }
}

window.__test = T;
