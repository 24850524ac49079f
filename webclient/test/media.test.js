// Browser test 2 (media): two Chromium pages in one call publish the fake
// camera and microphone through the real SFU and decode each other's media.
import { test } from 'node:test';
import { serverAndBrowser } from './helpers/suite.js';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openParticipant } from './helpers/pages.js';
import { artifactsDir, waitFor, sleep } from './helpers/util.js';

let server;
let chrome;

serverAndBrowser('media', (s, c) => { server = s; chrome = c; }, { timeout: 60_000 });

const mediaURL = (params) => `${server.origin}/test/media.html?${new URLSearchParams(params)}`;

/** Waits until the page published, failing fast with the page's own error. */
async function waitPublished(p) {
  await waitFor(async () => {
    const s = await p.eval(() => ({ state: window.__test.state, error: window.__test.error }));
    if (s.error) throw Object.assign(new Error(`${p.name}: ${s.error.code ?? ''} ${s.error.message}`), { fatal: true, code: s.error.code });
    return s.state === 'published';
  }, { timeoutMs: 20000, what: `${p.name} to publish` }).catch((err) => {
    throw err.fatal ? err : err;
  });
}

/** Waits until `p` renders `from`'s video (≥ `frames` frames) and has its audio track. */
function waitReceiving(p, from, frames = 10) {
  return waitFor(() => p.eval(({ from, frames }) => {
    const ts = window.__test.tracks.filter((t) => t.userID === from && !t.removed);
    return ts.some((t) => t.kind === 'video' && t.frames >= frames) && ts.some((t) => t.kind === 'audio');
  }, { from, frames }), { timeoutMs: 20000, what: `${p.name} to receive ${from}'s video and audio` });
}

/**
 * Asserts real media flow into `p` from `from` over two getStats samples
 * ≥ 1 s apart, and loopback candidate pairs. Returns the samples.
 */
async function assertMediaFlows(p, from) {
  const s1 = await p.eval(() => window.__test.stats());
  await sleep(1200);
  const s2 = await p.eval(() => window.__test.stats());
  assert.ok(s2.at - s1.at >= 1000);
  const pick = (s, kind) => s.inbound.find((i) => i.userID === from && i.kind === kind);
  const v1 = pick(s1, 'video');
  const v2 = pick(s2, 'video');
  const a1 = pick(s1, 'audio');
  const a2 = pick(s2, 'audio');
  assert.ok(v1 && v2, `${p.name}: inbound video from ${from} in stats: ${JSON.stringify(s2.inbound)}`);
  assert.ok(a1 && a2, `${p.name}: inbound audio from ${from} in stats: ${JSON.stringify(s2.inbound)}`);
  assert.ok(v2.framesDecoded > v1.framesDecoded, `${p.name}: framesDecoded rising (${v1.framesDecoded} → ${v2.framesDecoded})`);
  assert.ok(v2.videoWidth > 0, `${p.name}: <video> videoWidth ${v2.videoWidth}`);
  assert.ok(a2.packetsReceived > a1.packetsReceived, `${p.name}: audio packetsReceived rising (${a1.packetsReceived} → ${a2.packetsReceived})`);
  for (const which of ['subscriberPair', 'publisherPair']) {
    const pair = s2[which];
    assert.ok(pair, `${p.name}: ${which} selected`);
    assert.equal(pair.remote.address, '127.0.0.1', `${p.name}: ${which} remote ${JSON.stringify(pair.remote)}`);
    // Chromium may hide its own address (null); when it shows one, it must be loopback.
    if (pair.local.address) assert.equal(pair.local.address, '127.0.0.1', `${p.name}: ${which} local ${JSON.stringify(pair.local)}`);
    // The server offers AES-GCM first (media/engine.go); Chromium must end up on it.
    assert.equal(pair.srtpCipher, 'SRTP_AEAD_AES_128_GCM', `${p.name}: ${which} SRTP cipher`);
  }
  return { s1, s2, video: [v1, v2], audio: [a1, a2] };
}

test('two pages in one call publish fake camera+mic and decode each other (join by id)', { timeout: 120_000 }, async (t) => {
  const callID = `media-join-${Date.now()}`;
  const alice = await openParticipant(chrome.browser, mediaURL({ user: 'alice', name: 'Alice', call: callID }), 'media-alice');
  t.after(() => alice.close());
  await waitPublished(alice);
  const bob = await openParticipant(chrome.browser, mediaURL({ user: 'bob', name: 'Bob', call: callID }), 'media-bob');
  t.after(() => bob.close());
  await waitPublished(bob);

  await Promise.all([waitReceiving(alice, 'bob'), waitReceiving(bob, 'alice')]);
  for (const [p, from] of [[alice, 'bob'], [bob, 'alice']]) {
    const r = await assertMediaFlows(p, from);
    t.diagnostic(`${p.name} ← ${from}: framesDecoded ${r.video[0].framesDecoded}→${r.video[1].framesDecoded}, ` +
      `${r.video[1].videoWidth}x${r.video[1].videoHeight}, audio packets ${r.audio[0].packetsReceived}→${r.audio[1].packetsReceived}, ` +
      `pair ${JSON.stringify(r.s2.subscriberPair.local)} ↔ ${JSON.stringify(r.s2.subscriberPair.remote)}`);
  }
  // Own tracks never come back, and every received track is mapped to its user by msid.
  for (const [p, self] of [[alice, 'alice'], [bob, 'bob']]) {
    const tracks = await p.eval(() => window.__test.tracks);
    assert.ok(tracks.every((tr) => tr.userID !== self), `${p.name} received its own track: ${JSON.stringify(tracks)}`);
    assert.ok(tracks.every((tr) => tr.userID && tr.trackID), `${p.name}: msid mapping ${JSON.stringify(tracks)}`);
    const errors = (await p.eval(() => window.__test.events)).filter((e) => e.name === 'error' || e.name === 'mediaError');
    assert.deepEqual(errors, [], `${p.name}: no SDK errors`);
  }
  for (const p of [alice, bob]) {
    await p.page.screenshot({ path: path.join(artifactsDir(), `${p.name}.png`) });
  }

  // A signaling drop mid-call: the SDK resumes the session, media keeps
  // flowing both ways, and bob never sees alice leave.
  const before = await alice.eval(() => window.__test.client.sessionId);
  await alice.eval(() => window.__test.client._ws.close(4000, 'test: simulated drop'));
  const back = await waitFor(() => alice.eval(() => window.__test.events.find((e) => e.name === 'reconnected')?.data),
    { what: 'alice reconnected' });
  assert.equal(back.resumed, true);
  assert.equal(back.sessionId, before);
  await assertMediaFlows(bob, 'alice');
  await assertMediaFlows(alice, 'bob');
  const bobEvents = await bob.eval(() => window.__test.events.map((e) => e.name));
  assert.ok(!bobEvents.includes('userLeft'), 'bob saw no userLeft');
});

test('invite → accept, then media both ways; replaceTrack changes what arrives; unpublishing the camera removes it on the other side', { timeout: 120_000 }, async (t) => {
  const t0 = Date.now();
  const phase = (what) => t.diagnostic(`${what} at +${Date.now() - t0} ms`);
  const callID = `media-invite-${Date.now()}`;
  const carol = await openParticipant(chrome.browser, mediaURL({ user: 'carol', name: 'Carol', call: callID, mode: 'invite', peer: 'dave' }), 'media-carol');
  t.after(() => carol.close());
  const dave = await openParticipant(chrome.browser, mediaURL({ user: 'dave', name: 'Dave', call: callID, mode: 'accept' }), 'media-dave');
  t.after(() => dave.close());
  await Promise.all([waitPublished(carol), waitPublished(dave)]);
  phase('both published');
  await Promise.all([waitReceiving(carol, 'dave'), waitReceiving(dave, 'carol')]);
  phase('both receiving');
  await assertMediaFlows(dave, 'carol');
  await assertMediaFlows(carol, 'dave');
  phase('media asserted');

  // Dave knows carol's camera and microphone, from his CallState or from a
  // later `tracks` event (PROTOCOL.md §8.12), and the received tracks carry
  // the announced trackIDs in their msid.
  const known = await waitFor(() => dave.eval(() => {
    const T = window.__test;
    const ev = T.events.filter((e) => e.name === 'tracks' && e.data.userID === 'carol').pop();
    const fromState = T.callState?.members.find((m) => m.user.id === 'carol')?.tracks || [];
    const list = ev ? ev.data.tracks : fromState;
    return list.length >= 2 && list;
  }), { what: 'carol\'s track list on dave\'s side' });
  assert.deepEqual(known.map((x) => x.source).sort(), ['camera', 'microphone']);
  const received = await dave.eval(() => window.__test.tracks.filter((t) => t.userID === 'carol').map((t) => t.trackID));
  for (const tr of known) assert.ok(received.includes(tr.trackID), `dave receives ${tr.trackID} (${tr.source}); got ${received}`);

  // replaceTrack: carol swaps her camera for a 320×180 canvas without
  // renegotiation; dave decodes the new size.
  await carol.eval(async () => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 180 });
    const g = canvas.getContext('2d');
    let n = 0;
    setInterval(() => { g.fillStyle = `hsl(${(n += 7) % 360} 80% 50%)`; g.fillRect(0, 0, 320, 180); }, 50);
    window.__test.canvasTrack = canvas.captureStream(20).getVideoTracks()[0];
    await window.__test.media.replaceTrack('camera', window.__test.canvasTrack);
  });
  const replaced = await waitFor(() => dave.eval(async () => {
    const v = (await window.__test.stats()).inbound.find((i) => i.userID === 'carol' && i.kind === 'video');
    return v && v.frameWidth === 320 && v.frameHeight === 180 && v;
  }), { what: 'dave decoding carol\'s 320x180 replacement track' });
  phase(`dave decodes the replaced track at ${replaced.frameWidth}x${replaced.frameHeight}`);

  await carol.eval(() => window.__test.media.unpublish('camera'));
  phase('carol unpublished her camera');
  await waitFor(() => dave.eval(() => window.__test.tracks.some((t) => t.userID === 'carol' && t.kind === 'video' && t.removed)),
    { what: 'dave to see carol\'s camera removed' });
  phase('dave saw trackRemoved');
  const audioLeft = await dave.eval(() => window.__test.tracks.filter((t) => t.userID === 'carol' && t.kind === 'audio' && !t.removed).length);
  assert.equal(audioLeft, 1, 'carol\'s microphone still received');
  const after = await waitFor(() => dave.eval(() => {
    const ev = window.__test.events.filter((e) => e.name === 'tracks' && e.data.userID === 'carol').pop();
    return ev && ev.data.tracks.every((x) => x.source !== 'camera') && ev.data.tracks;
  }), { what: 'a tracks event without carol\'s camera' });
  assert.deepEqual(after.map((x) => x.source), ['microphone']);
});

test('simulcast publish: subscribe low gives the quarter-size layer, off pauses it, high brings it back', { timeout: 120_000 }, async (t) => {
  const callID = `media-simulcast-${Date.now()}`;
  const eve = await openParticipant(chrome.browser, mediaURL({ user: 'eve', name: 'Eve', call: callID, simulcast: '1' }), 'media-eve');
  t.after(() => eve.close());
  await waitPublished(eve);
  const frank = await openParticipant(chrome.browser, mediaURL({ user: 'frank', name: 'Frank', call: callID }), 'media-frank');
  t.after(() => frank.close());
  await waitPublished(frank);
  await waitReceiving(frank, 'eve');
  await assertMediaFlows(frank, 'eve');

  const sent = (await eve.eval(() => window.__test.stats())).outbound.filter((o) => o.kind === 'video');
  t.diagnostic(`eve sends ${sent.map((o) => `${o.rid}:${o.frameWidth}px/${o.framesEncoded}f`).join(', ')}`);
  assert.ok(sent.filter((o) => o.framesEncoded > 0).length >= 2, 'at least two simulcast layers are encoded');
  const announced = await frank.eval(() => {
    const T = window.__test;
    const ev = T.events.filter((e) => e.name === 'tracks' && e.data.userID === 'eve').pop();
    const list = ev ? ev.data.tracks : T.callState.members.find((m) => m.user.id === 'eve').tracks;
    return list.find((x) => x.kind === 'video');
  });
  assert.deepEqual(announced.simulcast, ['q', 'h', 'f']);
  const trackID = announced.trackID;

  const inboundVideo = () => frank.eval(async () => (await window.__test.stats()).inbound.find((i) => i.userID === 'eve' && i.kind === 'video'));
  const subscribe = (quality) => frank.eval(({ callID, trackID, quality }) => window.__test.client.subscribe({ callID, trackID, quality }), { callID, trackID, quality });

  await subscribe('low');
  const low = await waitFor(async () => { const v = await inboundVideo(); return v.frameWidth === 160 && v.videoWidth === 160 && v; },
    { what: 'frank decoding the 160 px layer' });
  t.diagnostic(`low: ${low.frameWidth}x${low.frameHeight}`);

  await subscribe('off');
  await sleep(1000); // the contract allows up to 1 s
  const off1 = await inboundVideo();
  await sleep(1200);
  const off2 = await inboundVideo();
  assert.equal(off2.framesDecoded, off1.framesDecoded, 'no frames decoded while off');

  await subscribe('high');
  const high = await waitFor(async () => { const v = await inboundVideo(); return v.frameWidth > 160 && v.framesDecoded > off2.framesDecoded && v; },
    { timeoutMs: 20000, what: 'frank decoding a layer above 160 px again' });
  t.diagnostic(`high: ${high.frameWidth}x${high.frameHeight}`);

  const err = await frank.eval(async ({ callID }) => {
    try { await window.__test.client.subscribe({ callID, trackID: 'TR_nope', quality: 'low' }); return null; } catch (e) { return e.code; }
  }, { callID });
  assert.equal(err, 'not_found');
});

test('simulcast layers nobody watches are paused at the publisher (publisherLayers) and resumed when asked for', { timeout: 120_000 }, async (t) => {
  const callID = `media-pause-${Date.now()}`;
  const gina = await openParticipant(chrome.browser, mediaURL({ user: 'gina', name: 'Gina', call: callID, simulcast: '1' }), 'media-gina');
  t.after(() => gina.close());
  await waitPublished(gina);
  const hal = await openParticipant(chrome.browser, mediaURL({ user: 'hal', name: 'Hal', call: callID }), 'media-hal');
  t.after(() => hal.close());
  await waitPublished(hal);
  await waitReceiving(hal, 'gina');

  const lastLayers = () => gina.eval(() => {
    const ev = window.__test.events.filter((e) => e.name === 'publisherLayers').pop();
    return ev ? ev.data.active : null;
  });
  const encodings = () => gina.eval(() => {
    const t = window.__test.media.publisher.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video');
    return Object.fromEntries(t.sender.getParameters().encodings.map((e) => [e.rid, e.active]));
  });
  const sentByRid = async () => Object.fromEntries((await gina.eval(() => window.__test.stats())).outbound
    .filter((o) => o.kind === 'video').map((o) => [o.rid, o.packetsSent]));
  /** Asserts that layer `rid` sends nothing over 1.5 s and `live` keeps sending. */
  async function assertIdle(rid, live) {
    await sleep(500); // packets already in the encoder's pipeline
    const a = await sentByRid();
    await sleep(1500);
    const b = await sentByRid();
    t.diagnostic(`packetsSent ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
    assert.equal(b[rid], a[rid], `layer ${rid} sent packets while paused`);
    assert.ok(b[live] > a[live], `layer ${live} kept sending`);
  }
  const trackID = await hal.eval(() => window.__test.tracks.find((x) => x.userID === 'gina' && x.kind === 'video' && !x.removed).trackID);
  const subscribe = (quality) => hal.eval(({ callID, trackID, quality }) => window.__test.client.subscribe({ callID, trackID, quality }), { callID, trackID, quality });
  const inboundVideo = () => hal.eval(async () => (await window.__test.stats()).inbound.find((i) => i.userID === 'gina' && i.kind === 'video'));

  // hal goes low: only q (the fallback) is sent; h and f are paused.
  await subscribe('low');
  await waitFor(async () => JSON.stringify(await lastLayers()) === '["q"]', { timeoutMs: 20000, what: 'publisherLayers [q] at gina' });
  await waitFor(async () => { const e = await encodings(); return e.q && !e.h && !e.f; }, { what: 'gina\'s h and f encodings inactive' });
  await waitFor(async () => { const v = await inboundVideo(); return v.frameWidth === 160 && v; }, { timeoutMs: 20000, what: 'hal decoding the 160 px layer' });
  await assertIdle('h', 'q');

  // medium: h resumes (f stays off) and reaches hal.
  let before = await inboundVideo();
  await subscribe('medium');
  await waitFor(async () => JSON.stringify(await lastLayers()) === '["q","h"]', { timeoutMs: 20000, what: 'publisherLayers [q,h] at gina' });
  const medium = await waitFor(async () => { const v = await inboundVideo(); return v.frameWidth === 320 && v.framesDecoded > before.framesDecoded && v; },
    { timeoutMs: 20000, what: 'hal decoding the 320 px layer' });
  t.diagnostic(`medium: ${medium.frameWidth}x${medium.frameHeight}`);
  const e = await encodings();
  assert.ok(e.q && e.h && !e.f, `encodings ${JSON.stringify(e)}`);

  // high: f is named again (with h while f does not flow: Chromium sends
  // its top layer only once its own uplink estimate allows).
  before = await inboundVideo();
  await subscribe('high');
  await waitFor(async () => (await lastLayers()).includes('f'), { timeoutMs: 20000, what: 'publisherLayers naming f' });
  await waitFor(async () => (await encodings()).f, { what: 'gina\'s f encoding active' });
  const high = await waitFor(async () => { const v = await inboundVideo(); return v.frameWidth >= 320 && v.framesDecoded > before.framesDecoded && v; },
    { timeoutMs: 20000, what: 'hal decoding a layer of 320 px or more' });
  t.diagnostic(`high: ${high.frameWidth}x${high.frameHeight}, gina's layers ${JSON.stringify(await lastLayers())}`);
});
