// Web Push for the call UI (README "Push notifications"): registers the
// service worker (/sw.js), subscribes with the server's VAPID key
// (GET /v1/push/webpush-key) once notifications are allowed, registers the
// subscription over signaling (registerPush, PROTOCOL.md §9.6), and
// performs the Accept/Decline the service worker's notification asks for.

const KEY_PATH = '/v1/push/webpush-key';

/** base64url → Uint8Array (applicationServerKey). */
function fromB64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

/**
 * Sets push up for a mounted UI. Never throws: push is an extra.
 * @param {{kit: object, client: object}} ui the mounted RingsfuUI
 * @param {{base?: string}} [opts]
 * @returns {Promise<{registration: ServiceWorkerRegistration|null, subscribe: () => Promise<string>}>}
 *   `subscribe()` asks for notification permission (call it from a click)
 *   and registers; it resolves with 'registered', 'off' (server without
 *   Web Push), 'denied' or 'unsupported'.
 */
export async function setupPush(ui, { base = '' } = {}) {
  const out = { registration: null, subscribe: async () => 'unsupported' };
  if (!('serviceWorker' in navigator) || !globalThis.isSecureContext) return out;
  let reg;
  try {
    reg = await navigator.serviceWorker.register(`${base}/sw.js`);
  } catch (err) {
    console.warn('ringsfu push: service worker', err);
    return out;
  }
  out.registration = reg;
  const pending = actionFromURL();
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data?.type === 'ringsfu-push-action') act(ui, e.data.action, e.data.callID);
  });
  if (pending) whenSignedIn(ui, () => act(ui, pending.action, pending.callID));
  out.subscribe = () => subscribe(ui, reg, base, true);
  // Already allowed: keep the subscription registered on every sign-in.
  whenSignedIn(ui, () => { if (globalThis.Notification?.permission === 'granted') subscribe(ui, reg, base, false); }, true);
  return out;
}

/** Runs fn once signed in (every sign-in when repeat is set). */
function whenSignedIn(ui, fn, repeat = false) {
  if (ui.client) fn();
  if (!ui.client || repeat) {
    const off = ui.on('signedIn', () => { if (!repeat) off(); fn(); });
  }
}

/** Subscribes and registers the subscription. */
async function subscribe(ui, reg, base, ask) {
  try {
    const res = await fetch(`${base}${KEY_PATH}`);
    if (!res.ok) return 'off';
    const { vapidPublicKey } = await res.json();
    if (ask && globalThis.Notification && Notification.permission === 'default') await Notification.requestPermission();
    if (globalThis.Notification?.permission !== 'granted') return 'denied';
    let sub = await reg.pushManager.getSubscription();
    if (sub && b64urlOf(sub.options?.applicationServerKey) !== vapidPublicKey) {
      await sub.unsubscribe(); // the server's key changed
      sub = null;
    }
    if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromB64url(vapidPublicKey) });
    await ui.client.registerPush({ provider: 'webpush', subscription: sub.toJSON(), locale: navigator.language || '' });
    return 'registered';
  } catch (err) {
    console.warn('ringsfu push: subscribe', err);
    return 'unsupported';
  }
}

/** ArrayBuffer → base64url (no padding), '' for none. */
function b64urlOf(buf) {
  if (!buf) return '';
  return btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The action the service worker opened the app with, removed from the URL. */
function actionFromURL() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  const action = p.get('pushAction');
  const callID = p.get('callID');
  if (!action || !callID) return null;
  p.delete('pushAction');
  p.delete('callID');
  const rest = p.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return { action, callID };
}

/**
 * Accepts or declines callID once its invitation is there (it arrives
 * in hello's pendingInvitations right after sign-in).
 */
function act(ui, action, callID) {
  if (action !== 'accept' && action !== 'decline') return; // 'open': the incoming screen shows it
  const kit = ui.kit;
  const run = () => {
    if (!kit.incomingQueue?.some((i) => i.callID === callID)) return false;
    if (action === 'accept') kit.acceptCall(callID);
    else kit.declineCall(callID);
    return true;
  };
  if (run()) return;
  const off = kit.on('incomingCall', (inv) => { if (inv.callID === callID && run()) off(); });
  setTimeout(off, 60_000); // the ring is long over by then
}
