// Browser tests of the call UI in a group call: three members decoding each
// other, invite in calling from the "Invite members" panel (list set by the
// embedding API, checked by default, permissions respected), waiting tiles
// with cancel, accept; the initiator's member list: remote microphone off
// (UI and media), ask to turn it on (prompt on the target), camera off,
// kick-out.
import { test } from 'node:test';
import { serverAndBrowser } from './helpers/suite.js';
import assert from 'node:assert/strict';
import { openApp } from './helpers/ui.js';
import { waitFor, sleep } from './helpers/util.js';

let server;
let chrome;

serverAndBrowser('ui-group', (s, c) => { server = s; chrome = c; });

const kinds = (u) => u.eval(() => [...document.querySelectorAll('.rf-tile')].map((el) => `${el.dataset.kind}:${el.dataset.userId}`).sort());
const toasts = (u) => u.eval(() => window.__ringsfu.kit.log.filter((e) => e.name === 'toast').map((e) => e.data.text));

test('group call of 3, invite in calling with waiting tiles, member list: remote mute, ask to unmute, camera off, kick-out', { timeout: 200_000 }, async (t) => {
  const t0 = Date.now();
  const phase = (what) => t.diagnostic(`${what} at +${Date.now() - t0} ms`);
  // Calls alice creates: only the initiator may invite in calling.
  const [alice, bob, carol, dave] = await Promise.all([
    openApp(chrome.browser, server.origin, 'g-alice', { hash: 'onlyInitiatorCanInvite=1' }),
    ...['g-bob', 'g-carol', 'g-dave'].map((n) => openApp(chrome.browser, server.origin, n)),
  ]);
  for (const u of [alice, bob, carol, dave]) t.after(() => u.close());
  await Promise.all([alice.signIn('alice', 'Alice'), bob.signIn('bob', 'Bob'), carol.signIn('carol', 'Carol'), dave.signIn('dave', 'Dave')]);
  // The embedding app sets the invite list (Zego's waitingSelectUsers);
  // erin never comes online.
  await alice.eval(() => window.ringsfu.updateCallingInvitationListConfig({
    waitingSelectUsers: [{ id: 'dave', name: 'Dave' }, { id: 'erin', name: 'Erin' }, { id: 'bob', name: 'Bob' }],
    defaultChecked: true,
  }));
  // Carol turns the waiting tiles off.
  await carol.eval(() => window.ringsfu.ui.setOptions({ showWaitingCallAcceptAudioVideoView: false }));
  phase('signed in');

  // Group call: alice calls bob and carol.
  await alice.placeCall(['bob', 'carol'], 'video');
  await Promise.all([bob.accept('Alice'), carol.accept('Alice')]);
  await alice.waitView('call');
  for (const [u, others] of [[alice, ['bob', 'carol']], [bob, ['alice', 'carol']], [carol, ['alice', 'bob']]]) {
    await Promise.all(others.map((o) => u.waitDecoding(o)));
  }
  for (const [u, others] of [[alice, ['bob', 'carol']], [bob, ['alice', 'carol']], [carol, ['alice', 'bob']]]) {
    for (const o of others) await u.assertFlow(o, 'video', 'framesDecoded', true, { gapMs: 800 });
    assert.deepEqual(await kinds(u), [`self:${u.name.slice(2)}`, ...others.map((o) => `member:${o}`)].sort());
  }
  assert.equal(await alice.page.locator('.rf-stage').getAttribute('data-mode'), 'grid');
  await sleep(500);
  await alice.screenshot('ui-group-grid.png');
  phase('3 members decode each other');

  // Permissions (onlyInitiatorCanInvite): bob cannot invite, alice can.
  assert.equal(await bob.page.getByRole('button', { name: 'Invite members' }).count(), 0, 'no invite button for bob');
  await alice.page.getByRole('button', { name: 'Invite members' }).click();
  const panel = alice.page.locator('.rf-panel');
  await panel.getByRole('heading', { name: 'Invite members' }).waitFor();
  const daveBox = panel.getByRole('checkbox', { name: /Dave/ });
  const erinBox = panel.getByRole('checkbox', { name: /Erin/ });
  const bobBox = panel.getByRole('checkbox', { name: /Bob/ });
  assert.ok(await daveBox.isChecked(), 'dave checked by default');
  assert.ok(await erinBox.isChecked(), 'erin checked by default');
  assert.ok(await bobBox.isDisabled(), 'bob is already in the call');
  assert.equal(await bobBox.isChecked(), false);
  await alice.screenshot('ui-invite-panel.png');
  await panel.getByRole('button', { name: 'Invite 2' }).click();
  await panel.waitFor({ state: 'hidden' });
  phase('invited dave and erin');

  // Waiting tiles everywhere but at carol (option off); cancel only for the inviter.
  await dave.waitView('incoming');
  for (const u of [alice, bob]) {
    await waitFor(async () => (await u.tile('dave', 'waiting').count()) === 1 && (await u.tile('erin', 'waiting').count()) === 1,
      { what: `${u.name}: waiting tiles` });
  }
  assert.equal(await carol.page.locator('.rf-tile[data-kind="waiting"]').count(), 0, 'carol turned the waiting tiles off');
  assert.equal(await alice.tile('erin', 'waiting').getByRole('button', { name: 'Cancel invitation to Erin' }).isVisible(), true);
  assert.equal(await bob.tile('erin', 'waiting').getByRole('button', { name: 'Cancel invitation to Erin' }).isVisible(), false, 'bob did not invite erin');
  await alice.screenshot('ui-waiting-tiles.png');
  await alice.tile('erin', 'waiting').getByRole('button', { name: 'Cancel invitation to Erin' }).click();
  for (const u of [alice, bob]) {
    await waitFor(async () => (await u.tile('erin', 'waiting').count()) === 0, { what: `${u.name}: erin's tile gone` });
  }
  phase('canceled erin');

  // Dave accepts: his waiting tile becomes his video.
  await dave.accept('Alice');
  await waitFor(async () => (await alice.tile('dave', 'member').count()) === 1 && (await alice.tile('dave', 'waiting').count()) === 0,
    { what: 'alice: dave\'s tile' });
  await Promise.all([alice.waitDecoding('dave'), dave.waitDecoding('alice'), dave.waitDecoding('bob'), dave.waitDecoding('carol')]).catch(async (err) => {
    t.diagnostic(`dave sends: ${JSON.stringify((await dave.stats())?.outbound)}; alice receives: ${JSON.stringify((await alice.stats())?.inbound)}`);
    throw err;
  });
  assert.deepEqual(await kinds(dave), ['member:alice', 'member:bob', 'member:carol', 'self:dave']);
  phase('dave joined (4 members)');

  // Member list: alice (initiator) turns bob's microphone off.
  await alice.page.getByRole('button', { name: /^Members/ }).click();
  const members = alice.page.locator('.rf-panel');
  await members.getByRole('heading', { name: 'Members' }).waitFor();
  assert.equal(await members.locator('.rf-member').count(), 4);
  await alice.screenshot('ui-members.png');
  // Non-initiators get no controls.
  await bob.page.getByRole('button', { name: /^Members/ }).click();
  assert.equal(await bob.page.locator('.rf-panel').getByRole('button', { name: /Remove/ }).count(), 0, 'bob cannot remove anyone');
  await bob.page.keyboard.press('Escape');

  await members.getByRole('button', { name: 'Turn off Bob\'s microphone' }).click();
  await waitFor(async () => (await carol.tile('bob', 'member').getAttribute('data-microphone')) === 'false', { what: 'carol sees bob muted' });
  await waitFor(async () => (await bob.state()).local.micOn === false, { what: 'bob\'s UI turned his microphone off' });
  assert.equal(await bob.page.getByRole('button', { name: 'Microphone' }).getAttribute('aria-pressed'), 'false');
  assert.ok((await toasts(bob)).includes('Alice turned your microphone off'));
  await sleep(1200);
  await carol.assertFlow('bob', 'audio', 'packetsReceived', false);
  phase('remote mute: UI and media');

  // Ask bob to turn it back on: a prompt he accepts.
  await members.getByRole('button', { name: 'Ask Bob to turn on their microphone' }).click();
  const prompt = bob.page.getByRole('alertdialog', { name: 'Alice asks you to turn on your microphone' });
  await prompt.waitFor();
  await bob.screenshot('ui-device-request.png');
  await prompt.getByRole('button', { name: 'Turn on microphone' }).click();
  await waitFor(async () => (await carol.tile('bob', 'member').getAttribute('data-microphone')) === 'true', { what: 'carol sees bob unmuted' });
  await waitFor(async () => {
    const [a, b] = await carol.counter('bob', 'audio', 'packetsReceived', { gapMs: 600 });
    return b > a;
  }, { what: 'bob\'s audio at carol again' });
  phase('ask to unmute accepted');

  // Camera off for carol; a request to turn it on that she ignores.
  await members.getByRole('button', { name: 'Turn off Carol\'s camera' }).click();
  await waitFor(async () => (await bob.tile('carol', 'member').getAttribute('data-camera')) === 'false', { what: 'bob sees carol\'s avatar' });
  await waitFor(async () => (await carol.state()).local.camOn === false, { what: 'carol\'s UI turned her camera off' });
  await sleep(1200);
  await bob.assertFlow('carol', 'video', 'framesDecoded', false);
  await members.getByRole('button', { name: 'Ask Carol to turn on their camera' }).click();
  const camPrompt = carol.page.getByRole('alertdialog', { name: 'Alice asks you to turn on your camera' });
  await camPrompt.waitFor();
  await camPrompt.getByRole('button', { name: 'Not now' }).click();
  await sleep(500);
  assert.equal((await carol.state()).local.camOn, false, 'ignoring keeps the camera off');
  phase('remote camera off, request ignored');

  // Kick-out: dave is removed; his call ends, the others lose his tile and media.
  await members.getByRole('button', { name: 'Remove Dave from the call' }).click();
  const confirm = alice.page.getByRole('alertdialog', { name: 'Remove Dave?' });
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await dave.waitView('ended');
  assert.equal(await dave.page.locator('#rf-ended-title').innerText(), 'You were removed');
  assert.equal(await dave.page.locator('#rf-ended-detail').innerText(), 'Alice removed you from the call');
  await dave.screenshot('ui-removed.png');
  for (const u of [alice, bob, carol]) {
    await waitFor(async () => (await u.tile('dave').count()) === 0, { what: `${u.name}: dave's tile gone` });
    assert.ok((await toasts(u)).includes('Dave was removed'), `${u.name} told dave was removed`);
  }
  const daveStats = await dave.stats();
  assert.equal(daveStats, null, 'dave has no media session any more');
  assert.equal(await bob.inbound('dave', 'video'), null, 'bob receives nothing from dave');
  assert.equal(await members.locator('.rf-member').count(), 3);
  phase('kick-out');

  // The call goes on for the three.
  await bob.assertFlow('alice', 'video', 'framesDecoded', true);
  for (const u of [alice, bob, carol, dave]) assert.deepEqual(u.pageErrors, [], `${u.name}: no page errors`);
});
