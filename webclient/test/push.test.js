// Browser test of Web Push in the web client (README "Push notifications"):
// the service worker registers, shows the incoming-call notification with
// Accept/Decline when a push is delivered to it through Chromium's
// DevTools protocol (ServiceWorker.deliverPushMessage), closes it on the
// stop push, and the app opened by the Accept action answers the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH } from 'node:crypto';
import { serverAndBrowser } from './helpers/suite.js';
import { openApp } from './helpers/ui.js';
import { waitFor } from './helpers/util.js';

let server;
let chrome;

const vapid = createECDH('prime256v1');
vapid.generateKeys();

serverAndBrowser('push', (s, c) => { server = s; chrome = c; }, {
  args: ['--webpush-vapid-key', vapid.getPrivateKey('base64url'), '--webpush-subject', 'mailto:ops@example.com'],
});

/** The notifications the page's service worker shows. */
function notifications(user) {
  return user.eval(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.action) }));
  });
}

test('the service worker shows a ring push with Accept/Decline and closes it on the stop push', { timeout: 90_000 }, async (t) => {
  const bob = await openApp(chrome.browser, server.origin, 'push-bob');
  t.after(() => bob.close());
  await bob.context.grantPermissions(['notifications'], { origin: server.origin });
  await bob.signIn('bob', 'Bob');
  // The server hands out its VAPID key.
  const key = await bob.eval(async () => (await (await fetch('/v1/push/webpush-key')).json()).vapidPublicKey);
  assert.equal(key, vapid.getPublicKey('base64url'));

  const cdp = await bob.context.newCDPSession(bob.page);
  const regs = new Map();
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
    for (const r of registrations) if (!r.isDeleted) regs.set(r.scopeURL, r.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
  await waitFor(async () => regs.has(`${server.origin}/`), { timeoutMs: 20000, what: 'the service worker registration' });
  await bob.eval(() => navigator.serviceWorker.ready.then(() => true));
  const registrationId = regs.get(`${server.origin}/`);

  const ring = {
    kind: 'ring', callID: 'sw-call-1', invitationID: 'inv_1', callerID: 'alice', callerName: 'Alice', type: 'video',
    title: 'Alice', body: 'Video call', expiresAt: new Date(Date.now() + 60_000).toISOString(),
  };
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.origin, registrationId, data: JSON.stringify(ring) });
  await waitFor(async () => (await notifications(bob)).length === 1, { timeoutMs: 20000, what: 'the incoming-call notification' });
  const [n] = await notifications(bob);
  assert.deepEqual(n, { title: 'Alice', body: 'Video call', tag: 'ringsfu-call-sw-call-1', actions: ['accept', 'decline'] });

  // A ring whose deadline passed shows nothing; the stop closes the ring.
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.origin, registrationId,
    data: JSON.stringify({ ...ring, callID: 'sw-old', expiresAt: new Date(Date.now() - 1000).toISOString() }) });
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.origin, registrationId,
    data: JSON.stringify({ kind: 'stop', callID: 'sw-call-1', reason: 'canceled' }) });
  await waitFor(async () => (await notifications(bob)).length === 0, { timeoutMs: 20000, what: 'the stop push to close the notification' });
  assert.deepEqual(bob.pageErrors, []);
});

test('the app opened by the notification\'s Accept answers the call', { timeout: 90_000 }, async (t) => {
  const alice = await openApp(chrome.browser, server.origin, 'push-alice');
  t.after(() => alice.close());
  await alice.signIn('alice', 'Alice');
  await alice.placeCall(['carol'], 'voice');
  await alice.waitView('outgoing');
  const callID = (await alice.state()).outgoing.callID;
  // What the service worker opens for Accept when no window is open.
  const carol = await openApp(chrome.browser, server.origin, 'push-carol', { hash: `pushAction=accept&callID=${encodeURIComponent(callID)}` });
  t.after(() => carol.close());
  // push.js loads after the UI; it takes the action out of the URL.
  await waitFor(async () => !(await carol.eval(() => location.hash)).includes('pushAction'),
    { timeoutMs: 15000, what: 'push.js to take the action from the URL' });
  // Signing in (the dev form, without waiting for home: the app goes
  // straight into the call).
  await carol.page.getByLabel('User ID').fill('carol');
  await carol.page.getByLabel('Display name').fill('Carol');
  await carol.page.getByRole('button', { name: 'Sign in' }).click();
  await carol.waitView('call', 20000);
  await alice.waitView('call', 20000);
  assert.deepEqual(carol.pageErrors, []);
});
