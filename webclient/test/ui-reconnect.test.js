// Browser test of the call UI when the server is lost mid-call (issue 13
// item 1): one reconnecting indicator, the other person's tile marked
// frozen, reconnect attempts with backoff (no retry storm), never signed
// out, "Call ended — connection lost" once the server is back without the
// call, and a new call working again without signing in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './helpers/server.js';
import { launchChromium } from './helpers/browser.js';
import { openApp } from './helpers/ui.js';
import { waitFor, sleep } from './helpers/util.js';

let server;
let server2;
let chrome;

before(async () => {
  server = await startServer({ name: 'ui-reconnect' });
  chrome = await launchChromium({ name: 'ui-reconnect' });
  console.log(`${chrome.version}; server ${server.origin}`);
}, { timeout: 90_000 });
after(async () => {
  await chrome?.close();
  await server?.stop();
  await server2?.stop();
}, { timeout: 30_000 });

/** Visible elements whose own text says "Reconnecting". */
const indicators = (u) => u.eval(() => [...document.querySelectorAll('.rf-app *')]
  .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
    && [...el.childNodes].some((n) => n.nodeType === 3 && /Reconnecting/i.test(n.textContent)))
  .map((el) => el.className));

test('server lost mid-call: one indicator, frozen tile, backoff, "Call ended — connection lost", recovery without signing in', { timeout: 120_000 }, async (t) => {
  const [ada, ben] = await Promise.all([
    openApp(chrome.browser, server.origin, 'r-ada', { hash: 'endedScreenMs=0' }),
    openApp(chrome.browser, server.origin, 'r-ben', { hash: 'endedScreenMs=0' }),
  ]);
  for (const u of [ada, ben]) t.after(() => u.close());
  await Promise.all([ada.signIn('ada', 'Ada'), ben.signIn('ben', 'Ben')]);
  await ada.placeCall(['ben'], 'video');
  await ben.accept('Ada', 'video');
  await ada.waitView('call');
  await ada.waitDecoding('ben');

  // Every reconnect attempt fetches a fresh dev token: count them.
  let attempts = 0;
  ada.page.on('request', (r) => { if (r.url().includes('/dev/token')) attempts++; });
  const killedAt = Date.now();
  await server.kill();
  await waitFor(async () => (await ada.state()).conn === 'reconnecting', { timeoutMs: 30000, what: 'ada reconnecting' });
  assert.deepEqual(await indicators(ada), ['rf-banner'], 'one reconnecting indicator');
  assert.equal(await ada.tile('ben', 'member').getAttribute('data-frozen'), 'true', 'ben\'s tile is marked frozen');
  assert.equal(await ada.tile('ada', 'self').getAttribute('data-frozen'), 'false');
  await ada.screenshot('ui-reconnecting.png');

  // An observation window (not a synchronisation): attempts back off.
  await sleep(Math.max(0, 9000 - (Date.now() - killedAt)));
  t.diagnostic(`${attempts} reconnect attempts in the 9 s after the server died`);
  assert.ok(attempts >= 2, `it keeps trying (${attempts})`);
  assert.ok(attempts <= 6, `backoff: ${attempts} attempts in 9 s is a retry storm`);
  const s = await ada.state();
  assert.equal(s.view, 'call', 'still on the call screen while reconnecting');
  assert.equal(s.user.id, 'ada', 'not signed out');

  // The server comes back (a new process: the call is gone).
  server2 = await startServer({ name: 'ui-reconnect-2', port: server.port, udpPort: server.udpPort });
  await ada.waitView('ended', 30000);
  assert.equal(await ada.page.locator('#rf-ended-title').innerText(), 'Call ended — connection lost');
  await ada.screenshot('ui-connection-lost.png');
  const back = await ada.state();
  assert.equal(back.conn, 'open');
  assert.equal(back.user.id, 'ada', 'signed in again on its own');
  assert.deepEqual(await indicators(ada), [], 'the indicator is gone');
  await ben.waitView('ended', 30000);

  // And calls work again.
  await ada.page.getByRole('button', { name: 'Back' }).click();
  await ben.page.getByRole('button', { name: 'Back' }).click();
  await ada.waitView('home');
  await ada.placeCall(['ben'], 'video');
  await ben.accept('Ada', 'video');
  await ada.waitDecoding('ben');
  await ada.page.getByRole('button', { name: 'Hang up' }).click();
  await ben.waitView('ended');
});
