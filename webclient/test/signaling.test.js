// Browser test 1 (SDK signaling, no media): real Chromium pages drive the
// SDK against the real server binary.
import { test } from 'node:test';
import { serverAndBrowser } from './helpers/suite.js';
import assert from 'node:assert/strict';
import { openParticipant } from './helpers/pages.js';
import { waitFor, sleep } from './helpers/util.js';

let server;
let chrome;

serverAndBrowser('signaling', (s, c) => { server = s; chrome = c; }, { timeout: 60_000 });

const events = (p) => p.eval(() => window.__test.events);
const findEvent = (list, name, pred = () => true) => list.find((e) => e.name === name && pred(e.data));

test('alice invites bob, bob gets incomingCall and accepts; both see the contract events', { timeout: 120_000 }, async (t) => {
  const alice = await openParticipant(chrome.browser, `${server.origin}/test/sdk.html`, 'sig-alice');
  const bob = await openParticipant(chrome.browser, `${server.origin}/test/sdk.html`, 'sig-bob');
  t.after(() => Promise.all([alice.close(), bob.close()]));

  const ah = await alice.eval(() => window.__test.signIn('alice', 'Alice'));
  assert.match(ah.sessionId, /^s_/);
  assert.equal(ah.resumed, false);
  assert.deepEqual(ah.user, { id: 'alice', name: 'Alice' });
  assert.deepEqual(ah.iceServers, [], 'dev server configures no ICE servers');
  assert.deepEqual(ah.pendingInvitations, []);
  assert.equal(ah.call, null);
  const bh = await bob.eval(() => window.__test.signIn('bob', 'Bob'));
  assert.deepEqual(bh.user, { id: 'bob', name: 'Bob' });

  const inv = await alice.eval(() => window.__test.call('invite', {
    invitees: [{ id: 'bob', name: 'Bob' }], type: 'video', timeoutSeconds: 30, customData: 'hi',
  }));
  assert.ok(inv.ok, `invite failed: ${JSON.stringify(inv)}`);
  const { callID, invitationID } = inv.result;
  assert.ok(callID && invitationID);
  assert.equal(inv.result.invitees.length, 1);
  assert.deepEqual(inv.result.invitees[0].user, { id: 'bob', name: 'Bob' });
  assert.equal(inv.result.invitees[0].state, 'waiting');
  assert.equal(inv.result.invitees[0].skipped, false);

  const incoming = await bob.eval((callID) => window.__test.waitEvent('incomingCall', { callID }), callID);
  assert.deepEqual(incoming.caller, { id: 'alice', name: 'Alice' });
  assert.equal(incoming.invitationID, invitationID);
  assert.equal(incoming.type, 'video');
  assert.equal(incoming.customData, 'hi');
  assert.ok(incoming.invitees.some((u) => u.id === 'bob'));
  assert.ok(incoming.timeoutSeconds > 0 && incoming.timeoutSeconds <= 30);
  assert.ok(!Number.isNaN(Date.parse(incoming.expiresAt)));

  const acc = await bob.eval((callID) => window.__test.call('accept', { callID, customData: 'ok' }), callID);
  assert.ok(acc.ok, `accept failed: ${JSON.stringify(acc)}`);
  const state = acc.result;
  assert.equal(state.callID, callID);
  assert.equal(state.type, 'video');
  assert.deepEqual(state.initiator, { id: 'alice', name: 'Alice' });
  assert.deepEqual(state.members.map((m) => m.user.id).sort(), ['alice', 'bob']);
  const bobMember = state.members.find((m) => m.user.id === 'bob');
  assert.equal(bobMember.camera, true);
  assert.equal(bobMember.microphone, true);
  assert.equal(bobMember.audioRoute, 'speaker');

  // Alice: outgoingCallAccepted, userJoined and the invitee state going to accepted.
  const accepted = await alice.eval((callID) => window.__test.waitEvent('outgoingCallAccepted', { callID }), callID);
  assert.deepEqual(accepted.callee, { id: 'bob', name: 'Bob' });
  assert.equal(accepted.customData, 'ok');
  const joined = await alice.eval((callID) => window.__test.waitEvent('userJoined', { callID }), callID);
  assert.deepEqual(joined.user, { id: 'bob', name: 'Bob' });
  const aEvents = await waitFor(async () => {
    const list = await events(alice);
    return findEvent(list, 'invitationStateChanged', (d) => d.users.some((u) => u.user.id === 'bob' && u.state === 'accepted')) && list;
  }, { what: 'invitationStateChanged with bob accepted' });
  const waiting = findEvent(aEvents, 'invitationStateChanged', (d) => d.users.some((u) => u.user.id === 'bob' && u.state === 'waiting'));
  assert.ok(waiting, 'alice saw bob waiting first');
  assert.ok(!findEvent(aEvents, 'error'), 'alice got no unsolicited error');
  const bEvents = await events(bob);
  assert.equal(bEvents.filter((e) => e.name === 'incomingCall').length, 1, 'bob rang once');
  assert.ok(!findEvent(bEvents, 'error'), 'bob got no unsolicited error');

  // Requests reject with an Error carrying the wire code.
  const kick = await bob.eval((callID) => window.__test.call('remove', { callID, userIDs: ['alice'] }), callID);
  assert.deepEqual([kick.ok, kick.code, kick.isRingsfuError], [false, 'not_permitted', true]);
  const bad = await bob.eval(() => window.__test.call('join', { callID: 'bad id!', type: 'video' }));
  assert.deepEqual([bad.ok, bad.code], [false, 'bad_request']);
  const rtt = await bob.eval(() => window.__test.call('ping'));
  assert.ok(rtt.ok && typeof rtt.result === 'number');

  // Device state reaches every member, the sender included.
  const dev = await bob.eval((callID) => window.__test.call('setDevice', { callID, camera: false }), callID);
  assert.ok(dev.ok, JSON.stringify(dev));
  for (const p of [alice, bob]) {
    const ds = await p.eval((callID) => window.__test.waitEvent('deviceState', { callID, userID: 'bob' }), callID);
    assert.equal(ds.camera, false);
    assert.equal(ds.microphone, true);
  }

  // Bob hangs up: alice sees userLeft (reason left).
  const left = await bob.eval((callID) => window.__test.call('leave', { callID }), callID);
  assert.ok(left.ok, JSON.stringify(left));
  const ul = await alice.eval((callID) => window.__test.waitEvent('userLeft', { callID }), callID);
  assert.deepEqual([ul.user.id, ul.reason], ['bob', 'left']);
  await alice.eval((callID) => window.__test.call('leave', { callID }), callID);
});

test('a dropped WebSocket resumes the same session; the other member sees no userLeft', { timeout: 120_000 }, async (t) => {
  const carol = await openParticipant(chrome.browser, `${server.origin}/test/sdk.html`, 'sig-carol');
  const dave = await openParticipant(chrome.browser, `${server.origin}/test/sdk.html`, 'sig-dave');
  t.after(() => Promise.all([carol.close(), dave.close()]));
  await carol.eval(() => window.__test.signIn('carol', 'Carol'));
  const dh = await dave.eval(() => window.__test.signIn('dave', 'Dave'));
  const callID = 'resume-call';
  assert.ok((await carol.eval((c) => window.__test.call('join', { callID: c, type: 'voice' }), callID)).ok);
  assert.ok((await dave.eval((c) => window.__test.call('join', { callID: c }), callID)).ok);
  await carol.eval((c) => window.__test.waitEvent('userJoined', { callID: c }), callID);

  // Cut dave's socket from the client side, as a network drop would.
  await dave.eval(() => window.__test.client._ws.close(4000, 'test: simulated drop'));
  const reconnecting = await dave.eval(() => window.__test.waitEvent('reconnecting'));
  assert.equal(reconnecting.code, 4000);
  const back = await dave.eval(() => window.__test.waitEvent('reconnected'));
  assert.equal(back.resumed, true);
  assert.equal(back.sessionId, dh.sessionId);
  assert.equal(back.call?.callID, callID, 'membership kept');
  assert.equal(await dave.eval(() => window.__test.client.state), 'open');

  // The resumed session works, and carol never saw dave leave.
  const dev = await dave.eval((c) => window.__test.call('setDevice', { callID: c, microphone: false }), callID);
  assert.ok(dev.ok, JSON.stringify(dev));
  await carol.eval((c) => window.__test.waitEvent('deviceState', { callID: c, userID: 'dave' }), callID);
  await sleep(300);
  assert.ok(!findEvent(await events(carol), 'userLeft'), 'carol saw no userLeft');
});
