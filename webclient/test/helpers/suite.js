// The set-up every browser test file shares: one real server and one
// Chromium for the whole file, started before its tests and stopped after.
import { before, after } from 'node:test';
import { startServer } from './server.js';
import { launchChromium } from './browser.js';

/**
 * Registers the file's before/after hooks. `use(server, chrome)` receives
 * both once started. Options: `args` for the server, `timeout` for start-up,
 * `label` appended to the log line, and `setup`/`teardown` run first/last;
 * `serverOpts()` (called after setup) returns further startServer options,
 * `chromeArgs` are extra Chromium flags.
 */
export function serverAndBrowser(name, use, {
  args = [], timeout = 90_000, label = '', setup, teardown, serverOpts, chromeArgs = [],
} = {}) {
  let server;
  let chrome;
  before(async () => {
    await setup?.();
    const extra = serverOpts?.() ?? {};
    server = await startServer({ name, ...extra, args: [...args, ...(extra.args ?? [])] });
    chrome = await launchChromium({ name, extraArgs: chromeArgs });
    use(server, chrome);
    console.log(`${chrome.version}; server ${server.origin} (udp ${server.udpPort})${label}`);
  }, { timeout });
  after(async () => {
    await chrome?.close();
    await server?.stop();
    await teardown?.();
  }, { timeout: 30_000 });
}
