// Browser test (media reset, PROTOCOL.md §9 mediaReset): a page's
// PeerConnection is closed from the page mid-call; the server notices,
// sends mediaReset, the SDK rebuilds its PeerConnections and publishes
// again, and the other page decodes video again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser } from './helpers/suite.js';
import { openParticipant } from './helpers/pages.js';
import { waitFor } from './helpers/util.js';
import { openApp } from './helpers/ui.js';

let server;
let chrome;

serverAndBrowser('reset', (s, c) => { server = s; chrome = c; }, { timeout: 60_000 });

const mediaURL = (params) => `${server.origin}/test/media.html?${new URLSearchParams(params)}`;

function waitPublished(p) {
  return waitFor(async () => {
    const s = await p.eval(() => ({ state: window.__test.state, error: window.__test.error }));
    if (s.error) throw new Error(`${p.name}: ${s.error.code ?? ''} ${s.error.message}`);
    return s.state === 'published';
  }, { timeoutMs: 20000, what: `${p.name} to publish` });
}

/** framesDecoded of the video `p` receives from `from` (0 if none). */
function framesFrom(p, from) {
  return p.eval(async (from) => {
    const s = await window.__test.stats();
    const v = s?.inbound.find((i) => i.userID === from && i.kind === 'video');
    return v ? v.framesDecoded : 0;
  }, from);
}

/** Waits until `p` decodes ≥ `n` frames of `from`'s video on its current subscriber PC. */
function waitDecoding(p, from, n) {
  return waitFor(async () => (await framesFrom(p, from)) >= n,
    { timeoutMs: 20000, what: `${p.name} to decode ${n} frames of ${from}` });
}

/** The media resets the page's session reported. */
function resets(p) {
  return p.eval(() => window.__test.resets.slice());
}

test('a PeerConnection closed from the page: mediaReset, republish, video decodes again', { timeout: 120_000 }, async (t) => {
  const callID = `reset-${Date.now()}`;
  const alice = await openParticipant(chrome.browser, mediaURL({ user: 'alice', name: 'Alice', call: callID }), 'reset-alice');
  t.after(() => alice.close());
  await waitPublished(alice);
  const bob = await openParticipant(chrome.browser, mediaURL({ user: 'bob', name: 'Bob', call: callID }), 'reset-bob');
  t.after(() => bob.close());
  await waitPublished(bob);
  await Promise.all([waitDecoding(bob, 'alice', 10), waitDecoding(alice, 'bob', 10)]);

  // alice's publisher PC closes under her SDK: the server's PC closes with
  // it (DTLS close_notify), alice is told, republishes, bob decodes again.
  const closedAt = Date.now();
  await alice.eval(() => window.__test.media.publisher.close());
  await waitFor(async () => (await resets(alice)).includes('peerFailed'),
    { timeoutMs: 10000, what: 'alice to get mediaReset peerFailed' });
  t.diagnostic(`alice reset ${Date.now() - closedAt} ms after her publisher PC closed`);
  const before = await framesFrom(bob, 'alice');
  await waitFor(async () => (await framesFrom(bob, 'alice')) > before + 10,
    { timeoutMs: 20000, what: 'bob decoding alice\'s republished video' });

  // bob's subscriber PC closes under his SDK: he is reset and receives a
  // fresh subscriber offer; alice's video decodes on his new PC.
  await bob.eval(() => window.__test.media.subscriber.close());
  await waitFor(async () => (await resets(bob)).includes('peerFailed'),
    { timeoutMs: 10000, what: 'bob to get mediaReset peerFailed' });
  await waitDecoding(bob, 'alice', 10);
  await waitDecoding(alice, 'bob', 10);
  const tiles = await bob.eval(() => window.__test.tracks.filter((r) => r.userID === 'alice' && !r.removed && r.kind === 'video').length);
  assert.equal(tiles, 1, 'bob shows exactly one live video tile of alice');
  const states = await bob.eval(async () => (await window.__test.stats()).connectionState);
  assert.deepEqual(states, { publisher: 'connected', subscriber: 'connected' });
});

test('prebuilt UI: a PeerConnection closed under the app, the remote tile decodes again', { timeout: 120_000 }, async (t) => {
  const alice = await openApp(chrome.browser, server.origin, 'ui-reset-alice');
  t.after(() => alice.close());
  await alice.waitView('signin');
  await alice.signIn('carol', 'Carol');
  const bob = await openApp(chrome.browser, server.origin, 'ui-reset-bob');
  t.after(() => bob.close());
  await bob.waitView('signin');
  await bob.signIn('dave', 'Dave');
  await alice.placeCall(['dave'], 'video');
  await bob.waitView('incoming');
  await bob.page.keyboard.press('Enter');
  await Promise.all([alice.waitView('call'), bob.waitView('call')]);
  await Promise.all([alice.waitDecoding('dave'), bob.waitDecoding('carol')]);

  // Both of carol's PeerConnections close under the app.
  await alice.eval(() => {
    const m = window.__ringsfu.client.media();
    m.publisher.close();
    m.subscriber.close();
  });
  await waitFor(async () => {
    const s = await alice.stats();
    return s && s.inbound.some((i) => i.userID === 'dave' && i.kind === 'video' && i.framesDecoded > 5);
  }, { timeoutMs: 20000, what: 'carol decoding dave again on her new subscriber PC' });
  await bob.waitDecoding('carol');
  await bob.assertFlow('carol', 'video', 'framesDecoded', true);
  await alice.assertFlow('dave', 'video', 'framesDecoded', true);
  assert.equal(await bob.tile('carol', 'member').count(), 1, 'dave shows one tile of carol');
  assert.equal(await alice.tile('dave', 'member').count(), 1, 'carol shows one tile of dave');
  assert.equal((await alice.state()).view, 'call', 'carol is still in the call');
});
