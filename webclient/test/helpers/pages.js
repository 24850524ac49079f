// Opens test pages, one BrowserContext per participant.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { artifactsDir } from './util.js';

/**
 * Opens `url` in a fresh BrowserContext and waits for window.__test.
 * Console messages and page errors go to artifacts/<name>.console.log.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {string} name
 */
export async function openParticipant(browser, url, name) {
  const context = await browser.newContext({ viewport: { width: 700, height: 560 } });
  const page = await context.newPage();
  const log = createWriteStream(path.join(artifactsDir(), `${name}.console.log`));
  page.on('console', (m) => log.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (err) => log.write(`[pageerror] ${err.stack || err}\n`));
  await page.goto(url);
  await page.waitForFunction(() => window.__test !== undefined);
  return {
    name,
    context,
    page,
    /** Evaluates in the page; `arg` is passed through. */
    eval: (fn, arg) => page.evaluate(fn, arg),
    /** Takes a last screenshot (artifacts/<name>-last.png, for post-mortems), then closes the context. */
    async close() {
      await page.screenshot({ path: path.join(artifactsDir(), `${name}-last.png`), timeout: 5000 }).catch(() => {});
      await context.close().catch(() => {});
      log.end();
    },
  };
}
