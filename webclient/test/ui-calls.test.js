// Browser tests of the call UI's invitation outcomes: declined, busy, no
// answer (1:1 and group), canceled, and answered on another device — what
// the caller's screen says and that the callee's ringing stops each time.
import { test } from 'node:test';
import { serverAndBrowser } from './helpers/suite.js';
import assert from 'node:assert/strict';
import { openApp, waitIn, PHONE } from './helpers/ui.js';
import { waitFor } from './helpers/util.js';

let server;
let chrome;

serverAndBrowser('ui-calls', (s, c) => { server = s; chrome = c; });

/** The ended screen's kind, title and detail. */
async function endedScreen(u) {
  await u.waitView('ended');
  const el = u.page.locator('.rf-ended');
  return {
    kind: await el.getAttribute('data-ended-kind'),
    title: await u.page.locator('#rf-ended-title').innerText(),
    detail: await u.page.locator('#rf-ended-detail').innerText(),
  };
}

const sound = (u) => u.eval(() => window.__ringsfu.sound());
const toasts = (u) => u.eval(() => window.__ringsfu.kit.log.filter((e) => e.name === 'toast').map((e) => e.data.text));

test('declined, busy, canceled and no-answer screens; the callee stops ringing each time', { timeout: 120_000 }, async (t) => {
  const t0 = Date.now();
  const phase = (what) => t.diagnostic(`${what} at +${Date.now() - t0} ms`);
  // Short ring times for the no-answer cases, through the URL option; the
  // ended screen stays until dismissed so each can be read.
  // Carol uses a phone-sized window.
  const [alice, bob, carol] = await Promise.all([
    openApp(chrome.browser, server.origin, 'c-alice', { hash: 'timeoutSeconds=3&endedScreenMs=0' }),
    openApp(chrome.browser, server.origin, 'c-bob', { hash: 'endedScreenMs=0' }),
    openApp(chrome.browser, server.origin, 'c-carol', { viewport: PHONE }),
  ]);
  for (const u of [alice, bob, carol]) t.after(() => u.close());
  await Promise.all([alice.signIn('alice', 'Alice'), bob.signIn('bob', 'Bob'), carol.signIn('carol', 'Carol')]);
  await carol.screenshot('ui-phone-home.png');
  phase('signed in');

  // 1. Declined (voice call).
  await alice.placeCall(['bob'], 'voice');
  await bob.waitView('incoming');
  assert.match(await bob.page.locator('.rf-calltype').innerText(), /Incoming voice call/);
  assert.equal(await bob.page.locator('.rf-calltype').getAttribute('data-call-type'), 'voice');
  assert.equal(await sound(bob), 'ringtone');
  await bob.page.getByRole('button', { name: 'Decline call from Alice' }).click();
  await bob.waitView('home');
  assert.equal(await sound(bob), null, 'bob stops ringing once he declined');
  const declined = await endedScreen(alice);
  assert.deepEqual(declined, { kind: 'declined', title: 'Call declined', detail: 'Bob declined the call' });
  assert.equal(await sound(alice), null, 'ringback stopped');
  await alice.screenshot('ui-declined.png');
  await alice.page.getByRole('button', { name: 'Back' }).click();
  await alice.waitView('home');
  phase('declined');

  // 2. Busy: bob is ringing carol (a waiting invitation makes him busy).
  await bob.placeCall(['carol'], 'voice');
  await carol.waitView('incoming');
  await carol.screenshot('ui-phone-incoming.png');
  await alice.placeCall(['bob'], 'voice');
  const busy = await endedScreen(alice);
  // Bob is only ringing someone: say what is known (busy), not a guess.
  assert.deepEqual(busy, { kind: 'busy', title: 'Bob is busy', detail: 'Bob cannot take your call right now. Try again later.' });
  assert.doesNotMatch(busy.detail, /another call/);
  await alice.screenshot('ui-busy.png');
  assert.equal((await bob.state()).view, 'outgoing', 'bob\'s own call is undisturbed');
  await alice.page.getByRole('button', { name: 'Back' }).click();
  phase('busy');

  // 3. Canceled: bob cancels; carol's ringing stops and she is told.
  assert.equal(await sound(carol), 'ringtone');
  await bob.page.getByRole('button', { name: 'Cancel call' }).click();
  await bob.waitView('home');
  await carol.waitView('home');
  assert.equal(await sound(carol), null, 'carol stops ringing on incomingCallCanceled');
  assert.ok((await toasts(carol)).includes('Bob canceled the call'));
  phase('canceled');

  // 4. No answer (alice's ring time is 3 s): carol's ringing stops on incomingCallTimeout.
  await alice.placeCall(['carol'], 'video');
  await carol.waitView('incoming');
  const noAnswer = await endedScreen(alice);
  assert.deepEqual(noAnswer, { kind: 'noAnswer', title: 'No answer', detail: 'Carol did not answer' });
  await carol.waitView('home');
  assert.equal(await sound(carol), null, 'carol stops ringing on incomingCallTimeout');
  assert.ok((await toasts(carol)).includes('Missed call from Alice'));
  await alice.screenshot('ui-no-answer.png');
  await alice.page.getByRole('button', { name: 'Back' }).click();
  phase('no answer');

  // 5. Group, mixed: bob declines, carol does not answer; the calling
  // screen shows each callee's state, the end screen sums it up.
  await alice.placeCall(['bob', 'carol'], 'voice');
  await Promise.all([bob.waitView('incoming'), carol.waitView('incoming')]);
  assert.match(await bob.page.locator('.rf-incoming').innerText(), /Group call with Alice, Carol|Group call with Carol/);
  await bob.page.getByRole('button', { name: 'Decline call from Alice' }).click();
  await waitFor(async () => (await alice.page.locator('.rf-callee-states li[data-user-id="bob"]').getAttribute('data-state')) === 'declined',
    { what: 'alice sees bob declined while still calling carol' });
  assert.equal(await alice.page.locator('.rf-callee-states li[data-user-id="carol"]').getAttribute('data-state'), 'waiting');
  assert.equal(await sound(alice), 'ringback', 'still calling carol');
  await alice.screenshot('ui-outgoing-group.png');
  const mixed = await endedScreen(alice);
  assert.equal(mixed.title, 'Nobody answered');
  assert.equal(mixed.detail, 'Bob: Declined · Carol: No answer');
  await carol.waitView('home');
  await alice.page.getByRole('button', { name: 'Back' }).click();
  phase('group: declined + no answer');
});

test('two devices of one user ring; answering on one stops the other (incomingCallAnsweredElsewhere)', { timeout: 90_000 }, async (t) => {
  const [dan, eve1, eve2] = await Promise.all(['c-dan', 'c-eve1', 'c-eve2'].map((n) => openApp(chrome.browser, server.origin, n)));
  for (const u of [dan, eve1, eve2]) t.after(() => u.close());
  await Promise.all([dan.signIn('dan', 'Dan'), eve1.signIn('eve', 'Eve'), eve2.signIn('eve', 'Eve')]);
  await dan.placeCall(['eve'], 'voice');
  await Promise.all([eve1.waitView('incoming'), eve2.waitView('incoming')]);
  assert.equal(await sound(eve2), 'ringtone');
  await eve1.accept('Dan', 'voice');
  await eve2.waitView('home');
  assert.equal(await sound(eve2), null, 'the other device stops ringing');
  assert.ok((await toasts(eve2)).includes('Answered on another device'));
  await dan.waitView('call');
  // A voice call: avatars, no camera button, audio flows.
  assert.equal(await dan.page.getByRole('button', { name: 'Camera' }).count(), 0, 'no camera toggle in a voice call');
  assert.equal(await dan.tile('eve', 'member').getAttribute('data-camera'), 'false');
  await waitIn(dan, () => window.__ringsfu.stats().then((s) => s?.inbound.some((i) => i.userID === 'eve' && i.kind === 'audio' && i.packetsReceived > 10)), null, 'eve\'s audio');
  await dan.assertFlow('eve', 'audio', 'packetsReceived', true);
  await dan.screenshot('ui-voice-call.png');
  await eve1.page.getByRole('button', { name: 'Hang up' }).click();
  await dan.waitView('ended');
});
