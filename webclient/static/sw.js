// Service worker of the ringsfu web client (README "Push notifications").
// A `ring` push shows an incoming-call notification with Accept and
// Decline; the `stop` push closes it. Clicking opens (or focuses) the app
// with the action in the URL fragment (`#pushAction=accept&callID=…`) or,
// when a window is open, posts {type: 'ringsfu-push-action', action,
// callID} to it; app/push.js performs the action once signed in.
// Served at /sw.js so that its scope is the whole app.

self.addEventListener('install', () => { self.skipWaiting(); });
self.addEventListener('activate', (event) => { event.waitUntil(self.clients.claim()); });

/** The notification tag of a call: a stop finds its ring by it. */
const tagOf = (callID) => `ringsfu-call-${callID}`;

self.addEventListener('push', (event) => {
  let m = null;
  try { m = event.data ? event.data.json() : null; } catch { m = null; }
  if (!m || typeof m.callID !== 'string') return;
  event.waitUntil(handlePush(m));
});

async function handlePush(m) {
  const tag = tagOf(m.callID);
  await tellWindows({ type: 'ringsfu-push', message: m });
  if (m.kind === 'stop') {
    const shown = await self.registration.getNotifications({ tag });
    shown.forEach((n) => n.close());
    return;
  }
  if (m.kind !== 'ring') return;
  if (m.expiresAt && Date.parse(m.expiresAt) < Date.now()) return; // the ring is over
  const who = m.callerName || m.callerID || 'Someone';
  const kind = m.type === 'video' ? 'video call' : 'voice call';
  await self.registration.showNotification(m.title || `${who} is calling`, {
    tag,
    body: m.body || `Incoming ${kind} from ${who}`,
    data: m,
    requireInteraction: true,
    renotify: true,
    actions: [{ action: 'accept', title: 'Accept' }, { action: 'decline', title: 'Decline' }],
  });
}

self.addEventListener('notificationclick', (event) => {
  const m = event.notification.data || {};
  event.notification.close();
  const action = event.action === 'accept' || event.action === 'decline' ? event.action : 'open';
  event.waitUntil(openApp(action, m.callID));
});

/** Focuses an app window and hands it the action, or opens one. */
async function openApp(action, callID) {
  const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const win = wins.find((w) => new URL(w.url).origin === self.location.origin);
  if (win) {
    win.postMessage({ type: 'ringsfu-push-action', action, callID });
    return win.focus();
  }
  const frag = new URLSearchParams({ pushAction: action, callID: callID || '' });
  return self.clients.openWindow(`/#${frag}`);
}

/** Posts msg to every window of the app. */
async function tellWindows(msg) {
  const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  wins.forEach((w) => w.postMessage(msg));
}
