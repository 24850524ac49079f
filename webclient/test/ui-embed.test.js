// Browser tests of the call UI's embedding API against a server in
// production mode (--app-secret: no /dev/token): the page detects that it
// is not in dev mode and asks for a token; window.ringsfu.start({token})
// signs in; mount() from /app/ringsfu-ui.js embeds the UI into another
// page of the origin, places a call and reports callStart/callEnd.
import { test } from 'node:test';
import { serverAndBrowser } from './helpers/suite.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { serverBinary } from './helpers/server.js';
import { openApp } from './helpers/ui.js';
import path from 'node:path';
import { waitFor, artifactsDir } from './helpers/util.js';

const APP_ID = 'embedapp';
const SECRET = 'ui-embed-test-secret';
let server;
let chrome;

serverAndBrowser('ui-embed', (s, c) => { server = s; chrome = c; },
  { args: ['--app-id', APP_ID, '--app-secret', SECRET], label: ', production mode' });

/** A token minted the way an operator's backend would (`ringsfu token`). */
function tokenFor(user, name) {
  return execFileSync(serverBinary(), ['token', '--app-id', APP_ID, '--app-secret', SECRET, '--user', user, '--name', name],
    { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim();
}

test('production mode: token sign-in through window.ringsfu.start, and mount() embedding a call', { timeout: 90_000 }, async (t) => {
  assert.equal((await fetch(`${server.origin}/dev/token?user=x`)).status, 404, 'no dev token endpoint');

  // The app at / asks for a token (no dev form).
  const zoe = await openApp(chrome.browser, server.origin, 'e-zoe');
  t.after(() => zoe.close());
  await zoe.waitView('signin');
  assert.equal(await zoe.page.getByLabel('User ID').count(), 0, 'no dev sign-in form');
  assert.equal(await zoe.page.getByLabel('Token').count(), 1, 'a token field');
  await zoe.screenshot('ui-signin-token.png');

  // A bad token: the sign-in screen says why.
  const bad = await zoe.eval(() => window.ringsfu.start({ token: 'not-a-jwt' }).then(() => 'ok', (e) => e.code));
  assert.equal(bad, 'unauthorized');
  await zoe.waitView('signin');
  assert.match(await zoe.page.getByRole('alert').innerText(), /Could not sign in/);

  // The embedding app's token, with options.
  await zoe.eval((token) => window.ringsfu.start({ token, timeoutSeconds: 20 }), tokenFor('zoe', 'Zoe'));
  await zoe.waitView('home');
  assert.deepEqual((await zoe.state()).user, { id: 'zoe', name: 'Zoe' });

  // Another page of the origin embeds the UI with mount() in its own element.
  const ctx = await chrome.browser.newContext({ viewport: { width: 900, height: 640 } });
  t.after(() => ctx.close());
  const host = await ctx.newPage();
  await host.goto(`${server.origin}/healthz`);
  const yann = tokenFor('yann', 'Yann');
  await host.evaluate(async (token) => {
    document.head.innerHTML = '<link rel="stylesheet" href="/app/app.css">';
    document.body.innerHTML = '<h1 id="host-title">Host app</h1><div id="calls" style="position:relative;height:560px"></div>';
    const { mount } = await import('/app/ringsfu-ui.js');
    window.events = [];
    window.ui = mount(document.getElementById('calls'), { token: () => token, sounds: false, endedScreenMs: 0 });
    for (const ev of ['signedIn', 'callStart', 'callEnd']) window.ui.on(ev, (d) => window.events.push({ ev, d }));
    await window.ui.ready;
  }, yann);
  assert.equal(await host.locator('#calls .rf-home').count(), 1, 'the dial screen inside the host element');
  assert.equal(await host.locator('#host-title').innerText(), 'Host app', 'the host page is intact');

  await host.evaluate(() => window.ui.call([{ id: 'zoe', name: 'Zoe' }], { type: 'voice' }));
  await zoe.accept('Yann', 'voice');
  await waitFor(() => host.evaluate(() => window.events.some((e) => e.ev === 'callStart')), { what: 'callStart in the host page' });
  assert.equal(await host.locator('#calls.rf-app').getAttribute('data-view'), 'call');
  await waitFor(() => host.evaluate(() => window.ui.kit.mediaStats().then((s) => s?.inbound.some((i) => i.userID === 'zoe' && i.packetsReceived > 5))),
    { what: 'zoe\'s audio in the embedded call' });
  await host.screenshot({ path: path.join(artifactsDir(), 'ui-embedded.png') });
  await host.evaluate(() => window.ui.hangUp());
  const ended = await waitFor(() => host.evaluate(() => window.events.find((e) => e.ev === 'callEnd')?.d), { what: 'callEnd' });
  assert.equal(ended.reason, 'hangUp');
  await zoe.waitView('ended');
  const names = await host.evaluate(() => window.events.map((e) => e.ev));
  assert.deepEqual(names, ['signedIn', 'callStart', 'callEnd']);
});
