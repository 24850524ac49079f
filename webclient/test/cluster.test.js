// Browser test (cluster, issue 8 point 4): three ringsfu processes on one
// redis-server. carol's page creates a call on node A; alice's page (on B)
// and bob's (on C) join it, so A owns the call while alice and bob are
// connected to the survivors. A is killed with SIGKILL: another node takes
// the call over, both pages are told mediaReset (ownerChanged), their SDKs
// rebuild their PeerConnections against the new owner, and each decodes
// the other's video again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './helpers/server.js';
import { launchChromium } from './helpers/browser.js';
import { startRedis } from './helpers/redis.js';
import { openParticipant } from './helpers/pages.js';
import { waitFor } from './helpers/util.js';

let redis;
let nodes = {};
let chrome;

before(async () => {
  redis = await startRedis();
  for (const id of ['A', 'B', 'C']) {
    nodes[id] = await startServer({ name: `cluster-${id}`, args: ['--redis-url', redis.url, '--node-id', id, '--resume-grace', '30s'] });
  }
  chrome = await launchChromium({ name: 'cluster' });
  console.log(`${chrome.version}; nodes ${Object.values(nodes).map((n) => n.origin).join(' ')}`);
}, { timeout: 90_000 });

after(async () => {
  await chrome?.close();
  for (const n of Object.values(nodes)) await n.stop();
  await redis?.stop();
}, { timeout: 30_000 });

const mediaURL = (node, params) => `${node.origin}/test/media.html?${new URLSearchParams(params)}`;

function waitPublished(p) {
  return waitFor(async () => {
    const s = await p.eval(() => ({ state: window.__test.state, error: window.__test.error }));
    if (s.error) throw new Error(`${p.name}: ${s.error.code ?? ''} ${s.error.message}`);
    return s.state === 'published';
  }, { timeoutMs: 30000, what: `${p.name} to publish` });
}

/** framesDecoded of the video `p` receives from `from` (0 if none). */
function framesFrom(p, from) {
  return p.eval(async (from) => {
    const s = await window.__test.stats();
    const v = s?.inbound.find((i) => i.userID === from && i.kind === 'video');
    return v ? v.framesDecoded : 0;
  }, from);
}

function waitDecoding(p, from, n, what) {
  return waitFor(async () => (await framesFrom(p, from)) >= n,
    { timeoutMs: 30000, what: `${p.name} to decode ${n} frames of ${from}${what ? ` ${what}` : ''}` });
}

test('kill -9 of the owner node: the call moves, video decodes again in both browsers', { timeout: 180_000 }, async (t) => {
  const callID = `cluster-${Date.now()}`;
  const carol = await openParticipant(chrome.browser, mediaURL(nodes.A, { user: 'carol', name: 'Carol', call: callID }), 'cluster-carol');
  t.after(() => carol.close());
  await waitPublished(carol);
  const alice = await openParticipant(chrome.browser, mediaURL(nodes.B, { user: 'alice', name: 'Alice', call: callID }), 'cluster-alice');
  t.after(() => alice.close());
  const bob = await openParticipant(chrome.browser, mediaURL(nodes.C, { user: 'bob', name: 'Bob', call: callID }), 'cluster-bob');
  t.after(() => bob.close());
  await Promise.all([waitPublished(alice), waitPublished(bob)]);
  await Promise.all([waitDecoding(alice, 'bob', 10), waitDecoding(bob, 'alice', 10)]);

  const killedAt = Date.now();
  await nodes.A.kill();
  for (const p of [alice, bob]) {
    await waitFor(async () => (await p.eval(() => window.__test.resets.slice())).includes('ownerChanged'),
      { timeoutMs: 20000, what: `${p.name} to get mediaReset ownerChanged` });
  }
  t.diagnostic(`both pages reset ${Date.now() - killedAt} ms after the kill`);
  // After the reset each page decodes on a new subscriber PC: its
  // framesDecoded counts from zero again.
  await Promise.all([waitDecoding(alice, 'bob', 10, 'after the takeover'), waitDecoding(bob, 'alice', 10, 'after the takeover')]);
  t.diagnostic(`video decodes again in both browsers ${Date.now() - killedAt} ms after the kill`);
  const states = await alice.eval(async () => (await window.__test.stats()).connectionState);
  assert.deepEqual(states, { publisher: 'connected', subscriber: 'connected' });
});
