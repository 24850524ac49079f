// Browser test 3 (mixed call): one real Chromium page (alice: fake camera
// and microphone, the media test page) and two native Go members (bob and
// carol: signaling/client/example/member playing the VP8/Opus fixtures) in
// one call, through the real server, all on 127.0.0.1. Everyone must see
// and hear both others.
import { test } from 'node:test';
import { serverAndBrowser } from './helpers/suite.js';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openParticipant } from './helpers/pages.js';
import { memberBinary, removeMemberBinary, startMember, fixture } from './helpers/gomember.js';
import { artifactsDir, waitFor, sleep } from './helpers/util.js';

// The dev-mode secret of `ringsfu` with no --app-secret (cmd/ringsfu); carol
// mints her own token with it, bob takes one from /dev/token.
const DEV_APP_ID = 'dev';
const DEV_SECRET = 'ringsfu-dev-secret-do-not-use-in-production';

let server;
let chrome;

serverAndBrowser('mixed', (s, c) => { server = s; chrome = c; },
  { timeout: 240_000, setup: memberBinary /* build before the clock of any test starts */, teardown: removeMemberBinary });

const mediaURL = (params) => `${server.origin}/test/media.html?${new URLSearchParams(params)}`;

/** Waits until the page published, failing fast with the page's own error. */
async function waitPublished(p) {
  await waitFor(async () => {
    const s = await p.eval(() => ({ state: window.__test.state, error: window.__test.error }));
    if (s.error) throw new Error(`${p.name}: ${s.error.code ?? ''} ${s.error.message}`);
    return s.state === 'published';
  }, { timeoutMs: 20000, what: `${p.name} to publish` });
}

/** Waits until `p` renders `from`'s video (≥ `frames` frames) and has its audio track. */
function waitReceiving(p, from, frames = 10) {
  return waitFor(() => p.eval(({ from, frames }) => {
    const ts = window.__test.tracks.filter((t) => t.userID === from && !t.removed);
    return ts.some((t) => t.kind === 'video' && t.frames >= frames) && ts.some((t) => t.kind === 'audio');
  }, { from, frames }), { timeoutMs: 20000, what: `${p.name} to receive ${from}'s video and audio` });
}

/**
 * Asserts, over two getStats samples ≥ 1 s apart, that `p` decodes video
 * from each of `froms` (framesDecoded rising, the <video> has a size) and
 * receives their audio (packetsReceived rising), and that both selected
 * candidate pairs are on 127.0.0.1. Returns the per-user figures.
 */
async function assertBrowserReceives(p, froms) {
  const s1 = await p.eval(() => window.__test.stats());
  await sleep(1200);
  const s2 = await p.eval(() => window.__test.stats());
  assert.ok(s2.at - s1.at >= 1000, `samples ${s2.at - s1.at} ms apart`);
  const pick = (s, from, kind) => s.inbound.find((i) => i.userID === from && i.kind === kind);
  const out = {};
  for (const from of froms) {
    const [v1, v2, a1, a2] = [pick(s1, from, 'video'), pick(s2, from, 'video'), pick(s1, from, 'audio'), pick(s2, from, 'audio')];
    assert.ok(v1 && v2, `${p.name}: inbound video from ${from} in stats: ${JSON.stringify(s2.inbound)}`);
    assert.ok(a1 && a2, `${p.name}: inbound audio from ${from} in stats: ${JSON.stringify(s2.inbound)}`);
    assert.ok(v2.framesDecoded > v1.framesDecoded, `${p.name} ← ${from}: framesDecoded rising (${v1.framesDecoded} → ${v2.framesDecoded})`);
    assert.ok(v2.videoWidth > 0, `${p.name} ← ${from}: <video> videoWidth ${v2.videoWidth}`);
    assert.ok(a2.packetsReceived > a1.packetsReceived, `${p.name} ← ${from}: audio packetsReceived rising (${a1.packetsReceived} → ${a2.packetsReceived})`);
    out[from] = { video: [v1, v2], audio: [a1, a2] };
  }
  for (const which of ['subscriberPair', 'publisherPair']) {
    const pair = s2[which];
    assert.ok(pair, `${p.name}: ${which} selected`);
    assert.equal(pair.remote.address, '127.0.0.1', `${p.name}: ${which} remote ${JSON.stringify(pair.remote)}`);
    // Chromium may hide its own address (null); when it shows one, it must be loopback.
    if (pair.local.address) assert.equal(pair.local.address, '127.0.0.1', `${p.name}: ${which} local ${JSON.stringify(pair.local)}`);
  }
  return { out, s2 };
}

/** The live received track of a member's report from `from` of `kind`. */
const goTrack = (rep, from, kind) => rep?.tracks.find((t) => t.from === from && t.kind === kind && !t.ended);

/**
 * Asserts, over two of a Go member's reports ≥ 1 s apart, that its video
 * and audio packets (and bytes) from each of `froms` rise, and that it saw
 * at least one key frame of each video. Returns the later report.
 */
async function assertGoReceives(m, self, froms) {
  const r1 = await m.waitReport((r) => froms.every((f) => goTrack(r, f, 'video')?.keyframes > 0 && goTrack(r, f, 'audio')?.packets > 0),
    { what: `video (with a key frame) and audio from ${froms.join(' and ')}` });
  const r2 = await m.waitReport((r) => r.elapsed >= r1.elapsed + 1, { what: 'a report ≥ 1 s later' });
  for (const from of froms) {
    for (const kind of ['video', 'audio']) {
      const [a, b] = [goTrack(r1, from, kind), goTrack(r2, from, kind)];
      assert.ok(b, `${m.name}: still receiving ${kind} from ${from}: ${JSON.stringify(r2.tracks)}`);
      assert.equal(b.trackID, a.trackID, `${m.name}: same ${kind} track of ${from}`);
      assert.ok(b.packets > a.packets, `${m.name} ← ${from} ${kind}: packets rising (${a.packets} → ${b.packets})`);
      assert.ok(b.bytes > a.bytes, `${m.name} ← ${from} ${kind}: bytes rising (${a.bytes} → ${b.bytes})`);
    }
    const v = goTrack(r2, from, 'video');
    assert.equal(v.codec.toLowerCase(), 'video/vp8', `${m.name} ← ${from}: video codec`);
    assert.ok(v.keyframes >= 1 && v.width > 0 && v.height > 0, `${m.name} ← ${from}: a key frame with a size: ${JSON.stringify(v)}`);
  }
  assert.ok(r2.tracks.every((t) => t.from !== self), `${m.name} received its own track: ${JSON.stringify(r2.tracks)}`);
  return r2;
}

test('alice in Chromium and two Go members (bob, carol) see and hear each other in one call', { timeout: 180_000 }, async (t) => {
  const t0 = Date.now();
  const phase = (what) => t.diagnostic(`${what} at +${Date.now() - t0} ms`);
  const callID = `mixed-${Date.now()}`;

  const alice = await openParticipant(chrome.browser, mediaURL({ user: 'alice', name: 'Alice', call: callID }), 'mixed-alice');
  t.after(() => alice.close());
  await waitPublished(alice);
  phase('alice published');

  // Bob signs in with a token from the server's dev endpoint, carol mints
  // her own; bob lets Pion packetize (sample tracks), carol packetizes
  // herself (RTP tracks). Different clip sizes tell them apart on screen.
  const res = await fetch(`${server.origin}/dev/token?user=bob&name=Bob`);
  assert.ok(res.ok, `dev token: ${res.status}`);
  const { token: bobToken } = await res.json();
  const common = ['--url', server.wsURL, '--call', callID, '--loopback-only', '--audio', fixture('opus-440hz.ogg'),
    '--duration', '170s']; // a backstop: the test stops them with SIGTERM long before
  const bob = startMember('mixed-bob', [...common, '--token', bobToken, '--device', 'go-bob',
    '--video', fixture('vp8-320x240.ivf')]);
  const carol = startMember('mixed-carol', [...common, '--app-id', DEV_APP_ID, '--app-secret', DEV_SECRET,
    '--user', 'carol', '--name', 'Carol', '--device', 'go-carol', '--video', fixture('vp8-160x120.ivf'), '--rtp']);
  t.after(() => Promise.all([bob.stop('SIGKILL'), carol.stop('SIGKILL')])); // no-ops once stopped below

  // Everyone receives both others.
  await Promise.all([
    waitReceiving(alice, 'bob'),
    waitReceiving(alice, 'carol'),
    bob.waitReport((r) => goTrack(r, 'alice', 'video')?.keyframes > 0 && goTrack(r, 'carol', 'video')?.keyframes > 0,
      { what: 'key frames from alice and carol' }),
    carol.waitReport((r) => goTrack(r, 'alice', 'video')?.keyframes > 0 && goTrack(r, 'bob', 'video')?.keyframes > 0,
      { what: 'key frames from alice and bob' }),
  ]);
  phase('everyone receiving');

  // Chromium decodes both Go members' video at their clips' sizes and
  // receives their audio, on loopback.
  const { out, s2 } = await assertBrowserReceives(alice, ['bob', 'carol']);
  for (const [from, [w, h]] of [['bob', [320, 240]], ['carol', [160, 120]]]) {
    const [v1, v2] = out[from].video;
    const [a1, a2] = out[from].audio;
    assert.equal(v2.videoWidth, w, `alice ← ${from}: videoWidth`);
    assert.equal(v2.videoHeight, h, `alice ← ${from}: videoHeight`);
    t.diagnostic(`alice ← ${from}: framesDecoded ${v1.framesDecoded}→${v2.framesDecoded}, ${v2.videoWidth}x${v2.videoHeight}, ` +
      `audio packets ${a1.packetsReceived}→${a2.packetsReceived}`);
  }
  t.diagnostic(`alice pairs: subscriber ${JSON.stringify(s2.subscriberPair.local)} ↔ ${JSON.stringify(s2.subscriberPair.remote)}, ` +
    `publisher ${JSON.stringify(s2.publisherPair.local)} ↔ ${JSON.stringify(s2.publisherPair.remote)}`);
  const aliceTracks = await alice.eval(() => window.__test.tracks);
  assert.ok(aliceTracks.every((tr) => tr.userID !== 'alice'), `alice received her own track: ${JSON.stringify(aliceTracks)}`);

  // Each Go member receives the other's and alice's video and audio, with
  // key frames; the Go clips arrive at their own sizes.
  for (const [m, self, other, [w, h]] of [[bob, 'bob', 'carol', [160, 120]], [carol, 'carol', 'bob', [320, 240]]]) {
    const r = await assertGoReceives(m, self, ['alice', other]);
    const v = goTrack(r, other, 'video');
    assert.deepEqual([v.width, v.height], [w, h], `${m.name} ← ${other}: key frame size`);
    for (const from of ['alice', other]) {
      const [vt, at] = [goTrack(r, from, 'video'), goTrack(r, from, 'audio')];
      t.diagnostic(`${self} ← ${from}: video ${vt.packets} pkts/${vt.bytes} B, ${vt.keyframes} key frames (${vt.width}x${vt.height}); ` +
        `audio ${at.packets} pkts/${at.bytes} B`);
    }
    t.diagnostic(`${self} sent ${JSON.stringify(r.sent)}`);
  }
  phase('media asserted');

  await alice.page.screenshot({ path: path.join(artifactsDir(), 'mixed-alice.png') });

  // SIGTERM: each Go member leaves, prints a final report and exits 0;
  // alice sees them leave.
  for (const m of [bob, carol]) {
    const exit = await m.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, `${m.name} exit`);
    const last = m.latest();
    assert.equal(last?.final, true, `${m.name}: final report ${JSON.stringify(last)}`);
    assert.equal(last.reason, 'signal');
  }
  phase('Go members stopped');
  const left = await waitFor(() => alice.eval(() => {
    const ids = window.__test.events.filter((e) => e.name === 'userLeft').map((e) => `${e.data.user?.id}:${e.data.reason}`);
    return ids.length >= 2 && ids;
  }), { what: 'alice to see bob and carol leave' });
  assert.deepEqual(left.sort(), ['bob:left', 'carol:left']);
  const errors = (await alice.eval(() => window.__test.events)).filter((e) => e.name === 'error' || e.name === 'mediaError');
  assert.deepEqual(errors, [], 'alice: no SDK errors');
});
