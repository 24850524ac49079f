// Browser test of Recents (call history, PROTOCOL.md §9.3) on the home
// screen: a ring that times out shows as a missed call, highlighted, with
// the unseen badge; one click calls back; calling back marks it seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser } from './helpers/suite.js';
import { openApp } from './helpers/ui.js';
import { waitFor } from './helpers/util.js';

let server;
let chrome;

serverAndBrowser('ui-recents', (s, c) => { server = s; chrome = c; });

test('a timed-out ring shows as a missed call in Recents and calls back in one click', { timeout: 90_000 }, async (t) => {
  const alice = await openApp(chrome.browser, server.origin, 'recents-alice', { hash: 'timeoutSeconds=2' });
  t.after(() => alice.close());
  const bob = await openApp(chrome.browser, server.origin, 'recents-bob');
  t.after(() => bob.close());
  await alice.signIn('alice', 'Alice');
  await bob.signIn('bob', 'Bob');
  const recents = bob.page.locator('.rf-recents');
  await waitFor(async () => (await recents.innerText()).includes('No calls yet'), { what: 'bob\'s empty Recents' });

  await alice.placeCall(['bob'], 'voice');
  await bob.waitView('incoming');
  // Bob does not answer: the ring times out after 2 s.
  await bob.waitView('home', 20000);
  await alice.waitView('home', 20000);

  const missed = bob.page.locator('.rf-recent.rf-recent-missed.rf-recent-unseen');
  await waitFor(async () => (await missed.count()) === 1, { timeoutMs: 15000, what: 'a missed call in bob\'s Recents' });
  assert.match(await missed.innerText(), /Alice/);
  assert.match(await missed.innerText(), /Missed/);
  const badge = bob.page.locator('.rf-recents .rf-missed-badge');
  assert.equal((await badge.innerText()).trim(), '1', 'unseen missed badge');
  const color = await missed.locator('.rf-recent-who').evaluate((el) => getComputedStyle(el).color);
  assert.equal(color, 'rgb(255, 107, 111)', 'missed calls are highlighted');
  // Alice sees it as an outgoing call nobody answered.
  const aliceEntry = alice.page.locator('.rf-recent[data-outcome="noAnswer"]');
  await waitFor(async () => (await aliceEntry.count()) === 1, { timeoutMs: 15000, what: 'alice\'s no-answer entry' });
  await bob.screenshot('ui-recents-missed.png');

  // One click calls back, with the call's type.
  await bob.page.getByRole('button', { name: 'Call back Alice' }).click();
  await alice.accept('Bob', 'voice');
  await bob.waitView('call');
  await waitFor(async () => (await bob.eval(() => window.__ringsfu.kit.recents.missed)) === 0,
    { timeoutMs: 15000, what: 'calling back to mark the missed call seen' });
  // Hanging up, bob's home shows the answered call back on top and no badge.
  await bob.page.getByRole('button', { name: 'Hang up' }).first().click();
  await bob.waitView('home', 20000);
  const top = bob.page.locator('.rf-recent').first();
  await waitFor(async () => (await top.getAttribute('data-outcome')) === 'answered', { timeoutMs: 15000, what: 'the call back on top of Recents' });
  assert.equal(await bob.page.locator('.rf-recents .rf-missed-badge').count(), 0, 'no badge once seen');
  assert.deepEqual(bob.pageErrors, []);
  assert.deepEqual(alice.pageErrors, []);
});
