// Browser test (networking): real Chromium pages that may only use relay
// candidates, with nothing but the hello result's iceServers, call each
// other through ringsfu's embedded TURN server over TURN/UDP, TURN/TCP and
// TURN/TLS (turns:). The server runs with a certificate made here, so the
// pages, the signaling WebSocket and TURN/TLS all use TLS (https://, wss://,
// turns:); Chromium trusts the certificate by its SPKI pin
// (--ignore-certificate-errors-spki-list), nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serverAndBrowser } from './helpers/suite.js';
import { freeTCPPort, freeUDPPort, httpsGet } from './helpers/server.js';
import { openParticipant } from './helpers/pages.js';
import { waitFor, sleep } from './helpers/util.js';

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl. */
function makeCert() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ringsfu-cert-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=ringsfu test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const pem = readFileSync(cert, 'utf8');
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return { dir, cert, key, pem, spki: createHash('sha256').update(spki).digest('base64') };
}

let server;
let chrome;
let turnPort;
let tlsPort;
const cert = makeCert();

/** A port free on 127.0.0.1 for both UDP and TCP (TURN listens on both). */
async function freeTURNPort() {
  for (;;) {
    const port = await freeUDPPort();
    const ok = await new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

serverAndBrowser('turn', (s, c) => { server = s; chrome = c; }, {
  timeout: 90_000,
  setup: async () => {
    turnPort = await freeTURNPort();
    tlsPort = await freeTCPPort();
  },
  serverOpts: () => ({
    ca: cert.pem,
    args: ['--turn-port', String(turnPort), '--turn-tls-port', String(tlsPort), '--tls-cert', cert.cert, '--tls-key', cert.key],
  }),
  chromeArgs: [`--ignore-certificate-errors-spki-list=${cert.spki}`],
  teardown: async () => rmSync(cert.dir, { recursive: true, force: true }),
  label: ' (https, turn)',
});

const mediaURL = (params) => `${server.origin}/test/media.html?${new URLSearchParams(params)}`;

async function waitPublished(p) {
  await waitFor(async () => {
    const s = await p.eval(() => ({ state: window.__test.state, error: window.__test.error }));
    if (s.error) throw new Error(`${p.name}: ${s.error.code ?? ''} ${s.error.message}`);
    return s.state === 'published';
  }, { timeoutMs: 30000, what: `${p.name} to publish` });
}

function waitReceiving(p, from, frames = 10) {
  return waitFor(() => p.eval(({ from, frames }) => {
    const ts = window.__test.tracks.filter((t) => t.userID === from && !t.removed);
    return ts.some((t) => t.kind === 'video' && t.frames >= frames) && ts.some((t) => t.kind === 'audio');
  }, { from, frames }), { timeoutMs: 30000, what: `${p.name} to receive ${from}'s video and audio` });
}

/** Asserts decoding video and audio from `from` over two samples, and relay pairs of `transport`. */
async function assertRelayedMedia(p, from, transport) {
  const s1 = await p.eval(() => window.__test.stats());
  await sleep(1200);
  const s2 = await p.eval(() => window.__test.stats());
  const pick = (s, kind) => s.inbound.find((i) => i.userID === from && i.kind === kind);
  const [v1, v2, a1, a2] = [pick(s1, 'video'), pick(s2, 'video'), pick(s1, 'audio'), pick(s2, 'audio')];
  assert.ok(v1 && v2 && a1 && a2, `${p.name}: inbound video and audio from ${from}: ${JSON.stringify(s2.inbound)}`);
  assert.ok(v2.framesDecoded > v1.framesDecoded, `${p.name}: framesDecoded rising (${v1.framesDecoded} → ${v2.framesDecoded})`);
  assert.ok(v2.videoWidth > 0, `${p.name}: videoWidth ${v2.videoWidth}`);
  assert.ok(a2.packetsReceived > a1.packetsReceived, `${p.name}: audio packets rising (${a1.packetsReceived} → ${a2.packetsReceived})`);
  const relayProtocol = { udp: 'udp', tcp: 'tcp', tls: 'tls' }[transport];
  for (const which of ['subscriberPair', 'publisherPair']) {
    const pair = s2[which];
    assert.ok(pair, `${p.name}: ${which} selected`);
    assert.equal(pair.local.type, 'relay', `${p.name}: ${which} local ${JSON.stringify(pair.local)}`);
    assert.equal(pair.local.relayProtocol, relayProtocol, `${p.name}: ${which} local ${JSON.stringify(pair.local)}`);
    assert.equal(pair.remote.address, '127.0.0.1', `${p.name}: ${which} remote ${JSON.stringify(pair.remote)}`);
  }
  return { v1, v2, a1, a2, pair: s2.subscriberPair };
}

for (const transport of ['udp', 'tcp', 'tls']) {
  test(`relay-only 1:1 call over TURN/${transport.toUpperCase()} decodes video and audio both ways`, { timeout: 120_000 }, async (t) => {
    const callID = `turn-${transport}-${Date.now()}`;
    const alice = await openParticipant(chrome.browser, mediaURL({ user: `alice-${transport}`, call: callID, relay: transport }), `turn-${transport}-alice`);
    t.after(() => alice.close());
    const bob = await openParticipant(chrome.browser, mediaURL({ user: `bob-${transport}`, call: callID, relay: transport }), `turn-${transport}-bob`);
    t.after(() => bob.close());
    await Promise.all([waitPublished(alice), waitPublished(bob)]);
    await Promise.all([waitReceiving(alice, `bob-${transport}`), waitReceiving(bob, `alice-${transport}`)]);
    for (const [p, from] of [[alice, `bob-${transport}`], [bob, `alice-${transport}`]]) {
      const r = await assertRelayedMedia(p, from, transport);
      t.diagnostic(`${p.name} ← ${from}: framesDecoded ${r.v1.framesDecoded}→${r.v2.framesDecoded} ` +
        `${r.v2.videoWidth}x${r.v2.videoHeight}, audio packets ${r.a1.packetsReceived}→${r.a2.packetsReceived}, ` +
        `pair ${r.pair.local.type}/${r.pair.local.relayProtocol} ${r.pair.local.address ?? '(hidden)'}:${r.pair.local.port} → ` +
        `${r.pair.remote.type} ${r.pair.remote.address}:${r.pair.remote.port}`);
    }
  });
}

test('the web client loads over https:// and signs in over wss://', { timeout: 60_000 }, async (t) => {
  assert.ok(server.origin.startsWith('https://127.0.0.1:'));
  const alice = await openParticipant(chrome.browser, mediaURL({ user: 'alice-https', call: `https-${Date.now()}` }), 'https-alice');
  t.after(() => alice.close());
  await waitPublished(alice);
  const info = await alice.eval(() => ({ secure: window.isSecureContext, href: location.href }));
  assert.equal(info.secure, true, 'a secure context (camera and microphone allowed)');
  assert.ok(info.href.startsWith('https://'));
  const metrics = await httpsGet(`${server.origin}/metrics`, cert.pem);
  const allocations = Number((metrics.match(/^ringsfu_turn_allocations_total (\S+)$/m) || [])[1]);
  const refusals = metrics.match(/^ringsfu_turn_refusals_total\{reason="auth"\} (\S+)$/m);
  assert.ok(allocations > 0, `ringsfu_turn_allocations_total ${allocations}`);
  assert.ok(refusals, 'ringsfu_turn_refusals_total{reason="auth"} exported');
  t.diagnostic(`isSecureContext ${info.secure}; ringsfu_turn_allocations_total ${allocations}`);
  // The app page itself.
  const app = await chrome.browser.newContext();
  t.after(() => app.close());
  const page = await app.newPage();
  const res = await page.goto(`${server.origin}/`);
  assert.equal(res.status(), 200);
});
