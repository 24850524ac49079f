// Browser tests of the prebuilt call UI at `/` (1:1 calls): sign-in (dev
// form and #token=), incoming/outgoing screens with their tones, decoded
// media both ways, the in-call controls (microphone, camera, audio output,
// screen share and its full-screen view), minimize/restore, phone width,
// resume after a WebSocket drop, hang-up with confirmation.
import { test } from 'node:test';
import { serverAndBrowser } from './helpers/suite.js';
import assert from 'node:assert/strict';
import { openApp, waitIn, PHONE, DESKTOP } from './helpers/ui.js';
import { waitFor, sleep } from './helpers/util.js';

let server;
let chrome;

serverAndBrowser('ui', (s, c) => { server = s; chrome = c; });

/** Every visible button has an accessible name. */
async function assertLabelledButtons(u) {
  const unnamed = await u.eval(() => [...document.querySelectorAll('button')]
    .filter((b) => b.offsetParent !== null && !(b.getAttribute('aria-label') || b.textContent.trim()))
    .map((b) => b.outerHTML.slice(0, 120)));
  assert.deepEqual(unnamed, [], `${u.name}: buttons without an accessible name`);
}

test('sign in (dev form and #token=), 1:1 video call with tones, frames decoded both ways, hang up with confirmation', { timeout: 120_000 }, async (t) => {
  const t0 = Date.now();
  const phase = (what) => t.diagnostic(`${what} at +${Date.now() - t0} ms`);
  const alice = await openApp(chrome.browser, server.origin, 'alice', { hash: 'confirmHangUp=1' });
  t.after(() => alice.close());
  await alice.waitView('signin');
  await alice.screenshot('ui-signin.png');
  await alice.signIn('alice', 'Alice');
  await alice.screenshot('ui-home.png');

  // Bob signs in the way an embedding app does it: a token in the fragment.
  const { token } = await (await fetch(`${server.origin}/dev/token?user=bob&name=Bob`)).json();
  const bob = await openApp(chrome.browser, server.origin, 'bob', { hash: `token=${token}` });
  t.after(() => bob.close());
  await bob.waitView('home');
  assert.equal(new URL(bob.page.url()).hash.includes('token='), false, 'the token is removed from the address bar');
  assert.deepEqual((await bob.state()).user, { id: 'bob', name: 'Bob' });
  phase('both signed in');

  await alice.placeCall(['bob'], 'video');
  await alice.waitView('outgoing');
  await bob.waitView('incoming');
  const incoming = bob.page.locator('.rf-incoming');
  assert.equal(await incoming.getByRole('heading', { name: 'Alice' }).count(), 1, 'caller name shown');
  assert.match(await incoming.locator('.rf-calltype').innerText(), /Incoming video call/);
  assert.equal(await alice.page.getByRole('heading', { name: 'Bob' }).count(), 1, 'callee name on the calling screen');
  assert.equal(await alice.eval(() => window.__ringsfu.sound()), 'ringback', 'ringback plays while calling');
  assert.equal(await bob.eval(() => window.__ringsfu.sound()), 'ringtone', 'ringtone plays while ringing');
  // The tones are real WebAudio: a running AudioContext with scheduled cycles.
  for (const u of [alice, bob]) {
    const d = await u.eval(() => window.__ringsfu.soundDetail());
    assert.equal(d.context, 'running', `${u.name}: AudioContext running (${JSON.stringify(d)})`);
    assert.ok(d.cycles >= 1, `${u.name}: tone scheduled`);
  }
  await sleep(300);
  await alice.screenshot('ui-outgoing.png');
  await bob.screenshot('ui-incoming.png');
  await assertLabelledButtons(bob);
  phase('ringing');

  // Keyboard: the accept button has the focus; Enter answers.
  const focused = await bob.eval(() => document.activeElement?.getAttribute('aria-label'));
  assert.equal(focused, 'Accept video call from Alice');
  await bob.page.keyboard.press('Enter');
  await Promise.all([alice.waitView('call'), bob.waitView('call')]);
  assert.equal(await alice.eval(() => window.__ringsfu.sound()), null, 'ringback stopped');
  assert.equal(await bob.eval(() => window.__ringsfu.sound()), null, 'ringtone stopped');
  phase('in call');

  const [va, vb] = await Promise.all([alice.waitDecoding('bob'), bob.waitDecoding('alice')]);
  t.diagnostic(`alice decodes bob ${va.frameWidth}x${va.frameHeight}, bob decodes alice ${vb.frameWidth}x${vb.frameHeight}`);
  await alice.assertFlow('bob', 'video', 'framesDecoded', true);
  await bob.assertFlow('alice', 'video', 'framesDecoded', true);
  await alice.assertFlow('bob', 'audio', 'packetsReceived', true);
  phase('frames decoded both ways');

  // The grid shows names, mic/camera states; duration ticks.
  for (const [u, other, name] of [[alice, 'bob', 'Bob'], [bob, 'alice', 'Alice']]) {
    const tile = u.tile(other, 'member');
    await waitFor(async () => (await tile.getAttribute('data-camera')) === 'true', { what: `${u.name}: ${other}'s video shown` });
    assert.match(await tile.locator('.rf-tile-name').innerText(), new RegExp(name));
    assert.equal(await tile.getAttribute('data-microphone'), 'true');
    assert.equal(await u.tile(u.name, 'self').count(), 1, 'own tile');
    assert.ok(await tile.evaluate((el) => el.querySelector('video').videoWidth > 0), 'video element plays');
  }
  const d1 = await alice.page.locator('.rf-duration').innerText();
  await sleep(1100);
  const d2 = await alice.page.locator('.rf-duration').innerText();
  assert.match(d2, /^\d\d:\d\d$/);
  assert.notEqual(d1, d2, 'duration ticks');
  // The active speaker comes from audio levels (the fake microphone beeps).
  const speaker = await waitIn(alice, () => window.__ringsfu.state().activeSpeaker, null, 'an active speaker', 10000);
  t.diagnostic(`alice's active speaker: ${speaker}`);
  await alice.screenshot('ui-call-1to1.png');
  await assertLabelledButtons(alice);

  // Hang up asks first (confirmHangUp=1): "Stay" keeps the call, "Leave" ends it.
  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  const dlg = alice.page.getByRole('alertdialog', { name: 'Leave the call?' });
  await dlg.waitFor();
  await dlg.getByRole('button', { name: 'Stay' }).click();
  assert.equal((await alice.state()).view, 'call');
  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await dlg.getByRole('button', { name: 'Leave' }).click();
  await alice.waitView('ended');
  assert.match(await alice.page.locator('#rf-ended-title').innerText(), /Call ended/);
  // Bob was in a 1:1 call: alone now, his UI ends it too.
  await bob.waitView('ended');
  assert.match(await bob.page.locator('#rf-ended-detail').innerText(), /Everyone else left/);
  await Promise.all([alice.waitView('home', 10000), bob.waitView('home', 10000)]);
  phase('hung up; both back home');
});

test('in-call controls: mic and camera off/on reach the other side and the media, audio output, screen share with full view, minimize, phone width, resume after a WebSocket drop', { timeout: 180_000 }, async (t) => {
  const t0 = Date.now();
  const phase = (what) => t.diagnostic(`${what} at +${Date.now() - t0} ms`);
  const carol = await openApp(chrome.browser, server.origin, 'carol');
  t.after(() => carol.close());
  const dave = await openApp(chrome.browser, server.origin, 'dave');
  t.after(() => dave.close());
  await carol.signIn('carol', 'Carol');
  await dave.signIn('dave', 'Dave');
  await carol.placeCall(['dave']);
  await dave.accept('Carol');
  await carol.waitView('call');
  await Promise.all([carol.waitDecoding('dave'), dave.waitDecoding('carol')]);
  phase('call up');

  // Microphone off: Dave's tile of Carol shows it, and the SFU stops her audio.
  await carol.page.getByRole('button', { name: 'Microphone', pressed: true }).click();
  await waitFor(async () => (await dave.tile('carol', 'member').getAttribute('data-microphone')) === 'false', { what: 'dave sees carol muted' });
  await sleep(1200);
  await dave.assertFlow('carol', 'audio', 'packetsReceived', false);
  await carol.page.getByRole('button', { name: 'Microphone', pressed: false }).click();
  await waitFor(async () => (await dave.tile('carol', 'member').getAttribute('data-microphone')) === 'true', { what: 'dave sees carol unmuted' });
  await waitFor(async () => {
    const [a, b] = await dave.counter('carol', 'audio', 'packetsReceived', { gapMs: 600 });
    return b > a;
  }, { what: 'carol\'s audio flowing again at dave' });
  phase('mic off/on');

  // Camera off: Dave sees Carol's avatar and her frames stop; on again: frames again.
  await carol.page.getByRole('button', { name: 'Camera', pressed: true }).click();
  const carolAtDave = dave.tile('carol', 'member');
  await waitFor(async () => (await carolAtDave.getAttribute('data-camera')) === 'false', { what: 'dave shows carol\'s avatar' });
  assert.ok(await carolAtDave.locator('.rf-tile-avatar .avatar').isVisible(), 'avatar visible');
  assert.equal(await carolAtDave.locator('.rf-tile-avatar').innerText(), 'C');
  assert.equal(await carol.tile('carol', 'self').getAttribute('data-camera'), 'false', 'own tile shows the avatar too');
  await sleep(1200);
  await dave.assertFlow('carol', 'video', 'framesDecoded', false);
  await dave.screenshot('ui-camera-off.png');
  await carol.page.getByRole('button', { name: 'Camera', pressed: false }).click();
  await waitFor(async () => (await carolAtDave.getAttribute('data-camera')) === 'true', { what: 'dave shows carol\'s video again' });
  await waitFor(async () => {
    const [a, b] = await dave.counter('carol', 'video', 'framesDecoded', { gapMs: 600 });
    return b > a;
  }, { what: 'carol\'s frames decoding again at dave' });
  phase('camera off/on');

  // Audio output: pick another output; received audio elements follow
  // (setSinkId) and the route goes out with setDevice.
  await dave.page.getByRole('button', { name: 'Audio output' }).click();
  const items = dave.page.getByRole('menuitemradio');
  await items.first().waitFor();
  const labels = await items.allInnerTexts();
  t.diagnostic(`audio outputs: ${labels.map((x) => x.replace(/\s+/g, ' ')).join(' | ')}`);
  assert.ok(labels.length >= 2, 'the fake outputs are listed');
  const second = items.nth(1);
  const deviceId = await second.getAttribute('data-device-id');
  await second.click();
  await waitFor(() => dave.eval((id) => {
    const els = [...document.querySelectorAll('.rf-audio audio')];
    return els.length > 0 && els.every((a) => a.sinkId === id);
  }, deviceId), { what: 'dave\'s audio elements on the chosen output' });
  await waitFor(async () => (await carol.state()).call.members.find((m) => m.id === 'dave')?.audioRoute === 'speaker', { what: 'carol knows dave\'s audio route' });
  const routes = await dave.eval(async () => {
    const { routeForLabel } = await import('/app/devices.js');
    return ['AirPods Pro (Bluetooth)', 'Headphones (Realtek Audio)', 'USB Audio Device', 'MacBook Pro Speakers', 'Default'].map(routeForLabel);
  });
  assert.deepEqual(routes, ['bluetooth', 'headphone', 'usb', 'speaker', 'speaker']);
  phase('audio output');

  // Screen share (Chromium's fake capture; getDisplayMedia works headless
  // with --use-fake-ui-for-media-stream).
  await carol.page.getByRole('button', { name: 'Share screen' }).click();
  const screenTile = dave.tile('carol', 'screen');
  await screenTile.waitFor({ timeout: 15000 });
  const sv = await dave.waitDecoding('carol', { source: 'screen' });
  t.diagnostic(`dave decodes carol's screen at ${sv.frameWidth}x${sv.frameHeight}`);
  await dave.assertFlow('carol', 'video', 'framesDecoded', true, { source: 'screen' });
  assert.equal(await dave.page.locator('.rf-stage').getAttribute('data-mode'), 'present');
  await dave.screenshot('ui-screen-share.png');
  await dave.page.getByRole('button', { name: 'View Carol\'s screen full screen' }).click();
  const full = dave.page.getByRole('dialog', { name: 'Shared screen' });
  await full.waitFor();
  await waitFor(() => full.evaluate((el) => el.querySelector('video').videoWidth > 0), { what: 'full view plays' });
  await dave.screenshot('ui-screen-fullview.png');
  await dave.page.keyboard.press('Escape');
  await full.waitFor({ state: 'hidden' });
  await carol.page.getByRole('button', { name: 'Share screen', pressed: true }).click();
  await screenTile.waitFor({ state: 'detached', timeout: 15000 });
  assert.notEqual(await dave.page.locator('.rf-stage').getAttribute('data-mode'), 'present');
  phase('screen share');

  // Minimize: a floating window; the page (home screen) is usable; media keeps flowing.
  await carol.page.getByRole('button', { name: 'Minimize call' }).click();
  const mini = carol.page.getByRole('region', { name: 'Call (minimized)' });
  await mini.waitFor();
  assert.equal(await carol.page.locator('.rf-app').getAttribute('data-minimized'), 'true');
  assert.ok(await carol.page.getByRole('heading', { name: 'Start a call' }).isVisible(), 'the page behind is shown');
  assert.ok(await carol.page.getByRole('button', { name: 'Start video call' }).isDisabled(), 'no second call while in one');
  await carol.page.getByLabel('Who do you want to call?').fill('typing while in a call');
  await waitFor(() => mini.evaluate((el) => el.querySelector('video').videoWidth > 0), { what: 'mini view plays dave' });
  await carol.assertFlow('dave', 'video', 'framesDecoded', true);
  await carol.screenshot('ui-minimized.png');
  await mini.getByRole('button', { name: 'Restore call' }).click();
  await mini.waitFor({ state: 'hidden' });
  assert.equal((await carol.state()).view, 'call');
  phase('minimize/restore');

  // Phone width: everything fits at 360 px.
  await dave.page.setViewportSize(PHONE);
  await sleep(400);
  const fit = await dave.eval(() => {
    const w = document.documentElement.clientWidth;
    const btns = [...document.querySelectorAll('.rf-controls button')].filter((b) => b.offsetParent);
    return { scroll: document.documentElement.scrollWidth, w, out: btns.filter((b) => b.getBoundingClientRect().right > w || b.getBoundingClientRect().left < 0).length, n: btns.length };
  });
  assert.equal(fit.scroll, fit.w, 'no horizontal scrolling at 360 px');
  assert.equal(fit.out, 0, `all ${fit.n} controls inside the viewport`);
  await dave.screenshot('ui-phone-call.png');
  await dave.page.getByRole('button', { name: /^Members/ }).click();
  await dave.screenshot('ui-phone-members.png');
  await dave.page.keyboard.press('Escape');
  await dave.page.setViewportSize(DESKTOP);
  phase('phone width');

  // Resume: the signaling WebSocket drops and stays down for 2 s; the UI says
  // "Reconnecting…", then the session resumes in the same call.
  const before = await carol.eval(() => window.__ringsfu.client.sessionId);
  await carol.context.setOffline(true);
  await carol.eval(() => window.__ringsfu.client._ws.close(4000, 'test: forced drop'));
  const banner = carol.page.getByRole('status').filter({ hasText: 'Reconnecting…' });
  await banner.waitFor({ timeout: 5000 });
  assert.equal((await carol.state()).conn, 'reconnecting');
  await carol.screenshot('ui-reconnecting.png');
  await sleep(2000);
  await carol.context.setOffline(false);
  await waitFor(async () => (await carol.state()).conn === 'open', { timeoutMs: 15000, what: 'carol reconnected' });
  await banner.waitFor({ state: 'hidden' });
  const st = await carol.state();
  assert.equal(st.view, 'call');
  assert.equal(await carol.eval(() => window.__ringsfu.client.sessionId), before, 'same session (resumed)');
  const reconnected = await carol.eval(() => window.__ringsfu.kit.log.filter((e) => e.name === 'reconnected').map((e) => e.data.resumed));
  assert.deepEqual(reconnected, [true]);
  const daveSawLeave = await dave.eval(() => window.__ringsfu.kit.log.some((e) => e.name === 'userLeft'));
  assert.equal(daveSawLeave, false, 'dave never saw carol leave');
  await carol.assertFlow('dave', 'video', 'framesDecoded', true);
  await dave.assertFlow('carol', 'video', 'framesDecoded', true);
  phase('resumed after the drop');

  await dave.page.getByRole('button', { name: 'Hang up' }).click();
  await Promise.all([dave.waitView('ended'), carol.waitView('ended')]);
  for (const u of [carol, dave]) assert.deepEqual(u.pageErrors, [], `${u.name}: no page errors`);
});
