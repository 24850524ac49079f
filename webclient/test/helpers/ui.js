// Helpers for the call UI tests (ui*.test.js): one BrowserContext per
// user on the app at `/`, driven like a user would (roles and labels),
// with state and getStats read through the app's window.__ringsfu hook.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { artifactsDir, waitFor, sleep } from './util.js';

export const DESKTOP = { width: 1100, height: 720 };
export const PHONE = { width: 360, height: 740 };

/**
 * Opens the app in a fresh BrowserContext. `hash` is the URL fragment
 * (options like `timeoutSeconds=3`, or `token=…`).
 * @returns {Promise<UIUser>}
 */
export async function openApp(browser, origin, name, { hash = '', query = '', viewport = DESKTOP } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const log = createWriteStream(path.join(artifactsDir(), `ui-${name}.console.log`));
  page.on('console', (m) => log.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (err) => log.write(`[pageerror] ${err.stack || err}\n`));
  await page.goto(`${origin}/${query ? `?${query}` : ''}${hash ? `#${hash}` : ''}`);
  await page.waitForFunction(() => window.__ringsfu !== undefined, null, { timeout: 15000 });
  return new UIUser(name, context, page, log);
}

export class UIUser {
  constructor(name, context, page, log) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.log = log;
    this.pageErrors = [];
    page.on('pageerror', (err) => this.pageErrors.push(String(err)));
  }

  eval(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  /** The app's state summary (window.__ringsfu.state()). */
  state() {
    return this.page.evaluate(() => window.__ringsfu.state());
  }

  /** Waits until the app shows `view` (signin, home, incoming, outgoing, call, ended). */
  async waitView(view, timeoutMs = 15000) {
    await waitFor(async () => (await this.page.locator('.rf-app').getAttribute('data-view')) === view,
      { timeoutMs, what: `${this.name} to show ${view}` }).catch(async (err) => {
      const s = await this.state().catch(() => null);
      throw new Error(`${err.message}; state ${JSON.stringify(s)}`);
    });
  }

  /** Signs in through the dev form, like a user. */
  async signIn(id, displayName) {
    const p = this.page;
    await p.getByLabel('User ID').fill(id);
    await p.getByLabel('Display name').fill(displayName);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await this.waitView('home');
  }

  /** Types callee ids and presses the voice or video call button. */
  async placeCall(ids, type = 'video') {
    const p = this.page;
    await p.getByLabel('Who do you want to call?').fill(ids.join(', '));
    await p.getByRole('button', { name: type === 'video' ? 'Start video call' : 'Start voice call' }).click();
  }

  /** Accepts the incoming call from `callerName`. */
  async accept(callerName, type = 'video') {
    await this.waitView('incoming');
    await this.page.getByRole('button', { name: `Accept ${type} call from ${callerName}` }).click();
    await this.waitView('call');
  }

  /** getStats sample of the call (window.__ringsfu.stats()). */
  stats() {
    return this.page.evaluate(() => window.__ringsfu.stats());
  }

  /** The inbound stats entry for `from`'s track of `kind` (and camera/screen `source`). */
  async inbound(from, kind, source) {
    const s = await this.stats();
    return s?.inbound.find((i) => i.userID === from && i.kind === kind && (!source || i.source === source)) || null;
  }

  /** Waits until video of `from` decodes here (framesDecoded > min). */
  async waitDecoding(from, { source = 'camera', min = 5, timeoutMs = 20000 } = {}) {
    return waitFor(async () => {
      const v = await this.inbound(from, 'video', source);
      return v && v.framesDecoded > min && v;
    }, { timeoutMs, what: `${this.name} decoding ${from}'s ${source}` });
  }

  /**
   * Two samples `gapMs` apart of one counter of `from`'s track: returns
   * [before, after].
   */
  async counter(from, kind, field, { source, gapMs = 1200 } = {}) {
    const a = await this.inbound(from, kind, source);
    await sleep(gapMs);
    const b = await this.inbound(from, kind, source);
    return [a?.[field] ?? 0, b?.[field] ?? 0];
  }

  /** Asserts `from`'s counter rises (or stays still with rising=false). */
  async assertFlow(from, kind, field, rising, opts = {}) {
    const [a, b] = await this.counter(from, kind, field, opts);
    if (rising) assert.ok(b > a, `${this.name}: ${from}'s ${kind} ${field} should rise (${a} → ${b})`);
    else assert.ok(b - a <= (opts.slack ?? 2), `${this.name}: ${from}'s ${kind} ${field} should stop (${a} → ${b})`);
    return [a, b];
  }

  /** The tile of a user (kind: self, member, waiting, screen). */
  tile(userID, kind) {
    return this.page.locator(`.rf-tile[data-user-id="${userID}"]${kind ? `[data-kind="${kind}"]` : ''}`);
  }

  async screenshot(file) {
    await this.page.screenshot({ path: path.join(artifactsDir(), file) });
  }

  async close() {
    await this.page.screenshot({ path: path.join(artifactsDir(), `ui-${this.name}-last.png`), timeout: 5000 }).catch(() => {});
    await this.context.close().catch(() => {});
    this.log.end();
  }
}

/** Waits until `fn()` (evaluated in `user`'s page) is truthy. */
export function waitIn(user, fn, arg, what, timeoutMs = 15000) {
  return waitFor(() => user.page.evaluate(fn, arg), { timeoutMs, what: `${user.name}: ${what}` });
}
