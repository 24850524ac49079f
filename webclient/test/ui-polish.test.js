// Browser tests of the call UI's polish items (issue 13): icon contrast on
// the round call buttons, one toast place that covers nothing important
// and is cleared when the screen changes, error texts a person
// understands (technical detail behind "Details") with the dev sign-in
// form kept after a bad #token.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { serverAndBrowser } from './helpers/suite.js';
import { openApp, waitIn, PHONE } from './helpers/ui.js';
import { repoRoot, waitFor } from './helpers/util.js';

let server;
let chrome;

serverAndBrowser('ui-polish', (s, c) => { server = s; chrome = c; });

/** WCAG contrast of a button's icon colour against its background, computed in the page. */
function contrastOf(u, selector) {
  return u.eval((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const cs = getComputedStyle(el);
    const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { const x = c / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const a = lum(rgb(cs.color));
    const b = lum(rgb(cs.backgroundColor));
    return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), color: cs.color, bg: cs.backgroundColor };
  }, selector);
}

function assertContrast(c, what) {
  assert.ok(c, `${what}: button present`);
  assert.ok(c.ratio >= 3, `${what}: icon contrast ${c.ratio.toFixed(2)}:1 (${c.color} on ${c.bg}) is below WCAG's 3:1`);
}

/** Boxes of the toasts, the tiles' name labels and the call controls. */
function boxes(u) {
  return u.eval(() => {
    const r = (el) => { const b = el.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
    const vis = (el) => el.offsetParent !== null;
    return {
      toasts: [...document.querySelectorAll('.rf-toast')].map(r),
      labels: [...document.querySelectorAll('.rf-tile-label')].filter(vis).map(r),
      controls: [...document.querySelectorAll('.rf-controls button')].filter(vis).map(r),
    };
  });
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

test('round call buttons have 3:1 icon contrast; toasts cover no labels or controls, sit under dialogs and clear on screen change', { timeout: 90_000 }, async (t) => {
  const [ann, ben] = await Promise.all([
    openApp(chrome.browser, server.origin, 'p-ann', { hash: 'confirmHangUp=1&endedScreenMs=0' }),
    openApp(chrome.browser, server.origin, 'p-ben', { hash: 'endedScreenMs=0' }),
  ]);
  for (const u of [ann, ben]) t.after(() => u.close());
  await Promise.all([ann.signIn('ann', 'Ann'), ben.signIn('ben', 'Ben')]);
  await ann.placeCall(['ben'], 'video');
  await ben.waitView('incoming');
  assertContrast(await contrastOf(ben, '.rf-round.rf-accept'), 'Accept');
  assertContrast(await contrastOf(ben, '.rf-incoming .rf-round.rf-danger'), 'Decline');
  assertContrast(await contrastOf(ann, '.rf-outgoing .rf-round.rf-danger'), 'Cancel');
  await ben.accept('Ann', 'video');
  await ann.waitView('call');
  assertContrast(await contrastOf(ann, '.rf-controls .rf-round.rf-danger'), 'Hang up');

  await ann.waitDecoding('ben');
  // Video fit: the fake camera is 4:3; in the wide 1:1 tile, cover would
  // crop a third of its height, so the whole picture shows (contain); the
  // tile's button flips it to fill.
  const benTile = ann.tile('ben', 'member');
  await waitFor(async () => (await benTile.getAttribute('data-fit')) === 'contain', { what: 'ben\'s 4:3 video fitted whole' });
  assert.equal(await benTile.locator('video').evaluate((v) => getComputedStyle(v).objectFit), 'contain');
  await benTile.getByRole('button', { name: 'Fill the tile with Ben\'s video' }).click();
  assert.equal(await benTile.getAttribute('data-fit'), 'cover');
  assert.equal(await benTile.locator('video').evaluate((v) => getComputedStyle(v).objectFit), 'cover');
  await benTile.getByRole('button', { name: 'Show all of Ben\'s video' }).click();
  assert.equal(await benTile.getAttribute('data-fit'), 'contain');

  // A toast with a long text while both tiles show their labels.
  await ann.eval(() => window.__ringsfu.ui.ui.toast('Ben turned your microphone off because the room asked everyone to be quiet', 'warn'));
  const b = await boxes(ann);
  assert.equal(b.toasts.length, 1);
  assert.ok(b.labels.length >= 2, 'both tiles are labelled');
  for (const l of b.labels) assert.ok(!overlaps(b.toasts[0], l), `toast ${JSON.stringify(b.toasts[0])} covers a name label ${JSON.stringify(l)}`);
  for (const c of b.controls) assert.ok(!overlaps(b.toasts[0], c), `toast covers a call control ${JSON.stringify(c)}`);
  await ann.screenshot('ui-toast-call.png');

  // The Members panel sits beside the grid: no tile is under it.
  await ann.page.getByRole('button', { name: 'Members (2)' }).click();
  const beside = async () => ann.eval(() => {
    const r = (el) => { const b = el.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
    return { panel: r(document.querySelector('.rf-panel')), tiles: [...document.querySelectorAll('.rf-stage .rf-tile')].filter((e) => e.offsetParent).map(r) };
  });
  await waitFor(async () => {
    const { panel, tiles } = await beside();
    return tiles.length === 2 && tiles.every((x) => !overlaps(panel, x));
  }, { what: 'the tiles beside the open panel', timeoutMs: 5000 }).catch(async (err) => {
    throw new Error(`${err.message}: ${JSON.stringify(await beside())}`);
  });
  await ann.screenshot('ui-panel-beside.png');
  await ann.page.getByRole('button', { name: 'Close members' }).click();

  // Hang up asks first (confirmHangUp): the dialog's backdrop is above the toast.
  await ann.eval(() => window.__ringsfu.ui.ui.toast('Ben joined'));
  await ann.page.getByRole('button', { name: 'Hang up' }).click();
  await ann.page.locator('.rf-dialog').waitFor();
  const onTop = await ann.eval(() => {
    const t = document.querySelector('.rf-toast').getBoundingClientRect();
    const el = document.elementFromPoint(t.x + t.width / 2, t.y + t.height / 2);
    return !el.closest('.rf-toasts');
  });
  assert.ok(onTop, 'the dialog backdrop covers the toast');
  await ann.page.locator('.rf-dialog').getByRole('button', { name: 'Leave' }).click();
  await ann.waitView('ended');
  assert.equal(await ann.page.locator('.rf-toast').count(), 0, 'the call\'s toasts do not carry over onto the ended screen');
  await ben.waitView('ended');
});

test('every contract error code has a plain sentence; a bad #token keeps the dev sign-in form with details', { timeout: 60_000 }, async (t) => {
  const proto = readFileSync(path.join(repoRoot, 'signaling/PROTOCOL.md'), 'utf8');
  const line = proto.match(/Error codes: ([^.]+)\./)[1];
  const codes = [...line.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  assert.ok(codes.length >= 10, `codes from PROTOCOL.md §2: ${codes}`);
  const u = await openApp(chrome.browser, server.origin, 'p-tok', { hash: 'token=not-a-valid-token' });
  t.after(() => u.close());
  const texts = await u.eval(async (list) => {
    const m = await import('/app/model.js');
    return list.map((code) => [code, m.errorText({ code, message: `${code}: raw detail` })]);
  }, [...codes, 'timeout', 'disconnected']);
  for (const [code, text] of texts) {
    assert.match(text, /^[A-Z].*\.$/, `${code}: a sentence`);
    assert.doesNotMatch(text, /raw detail|_/, `${code}: no jargon (${text})`);
  }
  assert.equal(new Set(texts.map(([, x]) => x)).size, texts.length, 'one distinct sentence per code');

  // The bad token fails; the dev form stays, the message is plain, the detail is one click away.
  await waitFor(async () => (await u.page.getByRole('alert').count()) > 0, { what: 'the sign-in error' });
  await u.waitView('signin');
  assert.equal(await u.page.getByLabel('User ID').count(), 1, 'the dev sign-in form is kept');
  const alert = u.page.getByRole('alert');
  const shown = await alert.locator('p').innerText();
  assert.match(shown, /Could not sign in/);
  assert.doesNotMatch(shown, /signature|invalid token|unauthorized/i);
  assert.equal(await alert.locator('details code').isVisible(), false, 'detail hidden until asked');
  await alert.locator('summary', { hasText: 'Details' }).click();
  assert.match(await alert.locator('details code').innerText(), /^unauthorized/);
  await u.screenshot('ui-signin-error.png');
  // And the form still signs in.
  await u.signIn('tok', 'Tok');
  await waitIn(u, () => window.__ringsfu.state().user?.id === 'tok', null, 'signed in');
});

test('calling an unknown user says "Calling…", then "not reachable" after 5 s while still ringing; a signed-in callee shows "Ringing…"', { timeout: 60_000 }, async (t) => {
  const [amy, bo] = await Promise.all([
    openApp(chrome.browser, server.origin, 'p-amy', { hash: 'timeoutSeconds=9&endedScreenMs=0' }),
    openApp(chrome.browser, server.origin, 'p-bo'),
  ]);
  for (const u of [amy, bo]) t.after(() => u.close());
  await Promise.all([amy.signIn('amy', 'Amy'), bo.signIn('bo', 'Bo')]);
  const status = () => amy.page.locator('.rf-outgoing .rf-calltype');

  // A mistyped id: nobody receives the invitation.
  const t0 = Date.now();
  await amy.placeCall(['bo-typo'], 'voice');
  await amy.waitView('outgoing');
  assert.equal(await status().getAttribute('data-delivery'), 'calling');
  assert.match(await status().innerText(), /Calling…/);
  await waitFor(async () => (await status().getAttribute('data-delivery')) === 'unreachable', { timeoutMs: 15000, what: 'not reachable' });
  assert.ok(Date.now() - t0 >= 4500, 'not before 5 s');
  assert.match(await amy.page.locator('.rf-unreachable').innerText(), /bo-typo is not reachable right now/);
  assert.equal(await amy.eval(() => window.__ringsfu.sound()), 'ringback', 'still ringing until the timeout');
  await amy.screenshot('ui-not-reachable.png');
  await amy.waitView('ended', 20000);
  assert.equal(await amy.page.locator('#rf-ended-title').innerText(), 'Not reachable');
  await amy.page.getByRole('button', { name: 'Back' }).click();

  // A signed-in callee: "Ringing…" once delivered, never "not reachable".
  await amy.placeCall(['bo'], 'voice');
  await bo.waitView('incoming');
  await waitFor(async () => (await status().getAttribute('data-delivery')) === 'ringing', { what: 'Ringing…' });
  assert.match(await status().innerText(), /Ringing…/);
  assert.equal(await amy.page.locator('.rf-unreachable').count(), 0);
  await bo.page.getByRole('button', { name: 'Decline call from Amy' }).click();
  await amy.waitView('ended');
});

test('at 360 px the home top bar keeps "Sign out" on one line and the whole name', { timeout: 30_000 }, async (t) => {
  const dana = await openApp(chrome.browser, server.origin, 'p-dana', { viewport: PHONE });
  t.after(() => dana.close());
  await dana.signIn('dana', 'Dana Petrova');
  const m = await dana.eval(() => {
    const linesOf = (el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    };
    const btn = [...document.querySelectorAll('.rf-topbar button')].find((b) => b.textContent.trim() === 'Sign out');
    const lines = linesOf(btn);
    const callLines = [...document.querySelectorAll('.rf-dial .rf-row button')].map((b) => linesOf(b.lastChild));
    const name = document.querySelector('.rf-me-name');
    const bar = document.querySelector('.rf-topbar').getBoundingClientRect();
    return { lines, callLines, nameCut: name.scrollWidth > name.clientWidth, name: name.textContent, barRight: bar.right, btnRight: btn.getBoundingClientRect().right, vw: innerWidth };
  });
  assert.equal(m.lines, 1, '"Sign out" on one line');
  assert.deepEqual(m.callLines, [1, 1], '"Voice call" and "Video call" on one line each');
  assert.equal(m.nameCut, false, `the name "${m.name}" is shown whole`);
  assert.ok(m.btnRight <= m.vw, 'Sign out inside the viewport');
  await dana.screenshot('ui-phone-topbar.png');
});

test('a voice call has its own layout: large centred avatars with a speaking ring driven by the audio level', { timeout: 60_000 }, async (t) => {
  const [vic, val] = await Promise.all([
    openApp(chrome.browser, server.origin, 'p-vic', { hash: 'endedScreenMs=0' }),
    openApp(chrome.browser, server.origin, 'p-val', { hash: 'endedScreenMs=0' }),
  ]);
  for (const u of [vic, val]) t.after(() => u.close());
  await Promise.all([vic.signIn('vic', 'Vic'), val.signIn('val', 'Val')]);
  await vic.placeCall(['val'], 'voice');
  await val.accept('Vic', 'voice');
  await vic.waitView('call');
  assert.equal(await vic.page.locator('.rf-stage').getAttribute('data-mode'), 'voice');
  const look = await vic.eval(() => {
    const tile = document.querySelector('.rf-tile[data-user-id="val"]');
    const av = tile.querySelector('.avatar').getBoundingClientRect();
    const stage = document.querySelector('.rf-stage').getBoundingClientRect();
    return { avatar: av.width, round: av.width === av.height, bg: getComputedStyle(tile).backgroundImage, centreX: av.x + av.width / 2, stageW: stage.width, stageX: stage.x };
  });
  assert.ok(look.avatar >= 140, `a large avatar (${look.avatar} px)`);
  assert.equal(look.bg, 'none', 'no empty 16:9 video box behind it');
  // The fake microphone beeps: the other side's ring follows it.
  await waitFor(async () => (await vic.tile('val', 'member').getAttribute('data-speaking')) === 'true', { timeoutMs: 20000, what: 'val speaking' });
  const ring = await vic.eval(() => {
    const tile = document.querySelector('.rf-tile[data-user-id="val"]');
    return { shadow: getComputedStyle(tile.querySelector('.avatar')).boxShadow, level: Number(tile.style.getPropertyValue('--level')) };
  });
  assert.match(ring.shadow, /rgba\(74, 222, 128/, 'a green speaking ring');
  assert.ok(ring.level > 0, `the ring follows the level (${ring.level})`);
  await vic.screenshot('ui-voice-layout.png');
  await vic.page.getByRole('button', { name: 'Hang up' }).click();
  await val.waitView('ended');
});

test('an invitation into a running call shows who is in it; the presenter sees "You are presenting" with a stop button; focus stays in the panel after removing a member; a wide audio-output menu without guessed routes', { timeout: 90_000 }, async (t) => {
  const [hal, ida, jo] = await Promise.all(['p-hal', 'p-ida', 'p-jo'].map((n) => openApp(chrome.browser, server.origin, n, { hash: 'endedScreenMs=0' })));
  for (const u of [hal, ida, jo]) t.after(() => u.close());
  await Promise.all([hal.signIn('hal', 'Hal'), ida.signIn('ida', 'Ida'), jo.signIn('jo', 'Jo')]);
  await hal.placeCall(['ida'], 'video');
  await ida.accept('Hal', 'video');
  await hal.waitView('call');
  // Jo is invited into the running call: the incoming screen says it is
  // ongoing and who is in it (incomingCall members, PROTOCOL.md §9.5).
  await hal.eval(() => window.__ringsfu.client.invite({ callID: window.__ringsfu.state().call.callID, invitees: [{ id: 'jo', name: 'Jo' }], type: 'video' }));
  await jo.waitView('incoming');
  assert.equal(await jo.page.locator('.rf-calltype').getAttribute('data-ongoing'), 'true');
  assert.match(await jo.page.locator('.rf-calltype').innerText(), /ongoing video call/);
  assert.equal(await jo.page.locator('.rf-ongoing-note').innerText(), 'In the call: Hal, Ida');
  await jo.screenshot('ui-incoming-ongoing.png');
  await jo.accept('Hal', 'video');

  // Presenting: no mirror of one's own screen, a note and a stop button.
  await hal.page.getByRole('button', { name: 'Share screen' }).click();
  const own = hal.tile('hal', 'screen');
  await own.waitFor({ timeout: 15000 });
  assert.match(await own.locator('.rf-presenting').innerText(), /You are presenting/);
  assert.equal(await own.locator('video').count(), 0, 'the presenter\'s own screen is not shown');
  await ida.tile('hal', 'screen').waitFor({ timeout: 15000 });
  await hal.screenshot('ui-presenting.png');
  await own.getByRole('button', { name: 'Stop presenting' }).click();
  await own.waitFor({ state: 'detached', timeout: 15000 });
  await ida.tile('hal', 'screen').waitFor({ state: 'detached', timeout: 15000 });

  // The audio-output menu: wide enough, no route where the label names none.
  await hal.page.getByRole('button', { name: 'Audio output' }).click();
  await hal.page.locator('.rf-menu').waitFor({ state: 'visible' });
  const menu = await hal.eval(() => {
    const m = document.querySelector('.rf-menu');
    return { width: m.getBoundingClientRect().width, items: [...m.querySelectorAll('.rf-menu-item')].map((b) => ({ label: b.querySelector('.rf-menu-label')?.textContent, route: b.querySelector('small')?.textContent || '' })) };
  });
  assert.ok(menu.width >= 280, `menu width ${menu.width}`);
  for (const it of menu.items) if (!/speaker/i.test(it.label)) assert.notEqual(it.route, 'Speaker', `"${it.label}" is not labelled a speaker`);
  await hal.page.keyboard.press('Escape');

  // Remove Ida: focus stays in the Members panel, so Escape closes it.
  await hal.page.getByRole('button', { name: /^Members/ }).click();
  await hal.page.getByRole('button', { name: 'Remove Ida from the call' }).click();
  await hal.page.locator('.rf-dialog').getByRole('button', { name: 'Remove' }).click();
  await ida.waitView('ended');
  await waitFor(async () => (await hal.page.locator('.rf-member[data-user-id="ida"]').count()) === 0, { what: 'ida\'s row gone' });
  await waitFor(() => hal.eval(() => !!document.activeElement?.closest('.rf-panel')), { what: 'focus in the panel after the removal' });
  await hal.page.keyboard.press('Escape');
  await waitFor(async () => (await hal.page.locator('.rf-panel').getAttribute('hidden')) !== null, { what: 'Escape closes the panel' });
  await hal.page.getByRole('button', { name: 'Hang up' }).click();
  await jo.waitView('ended');
});
