// Spawns Debian's Chromium exactly as README.md § Testing prescribes and connects
// Playwright to it over CDP.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { artifactsDir } from './util.js';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

let version = null;

/** `chromium --version`, logged rather than pinned (Debian updates it). */
export function chromiumVersion() {
  if (!version) {
    version = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  }
  return version;
}

/** The flags of README.md § Testing: loopback only, fake media, headless. */
export function chromiumFlags(userDataDir, extra = []) {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${userDataDir}`,
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    '--webrtc-ip-handling-policy=default_public_interface_only',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
    '--remote-debugging-port=0',
    ...extra,
  ];
}

/**
 * Starts Chromium with its own TMPDIR and profile under a fresh temp dir,
 * reads the DevTools URL from stderr and connects with connectOverCDP.
 * @param {{name?: string, extraArgs?: string[]}} [opts]
 * @returns {Promise<{browser: import('playwright-core').Browser, version: string, close: () => Promise<void>}>}
 */
export async function launchChromium({ name = 'chromium', extraArgs = [] } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ringsfu-chromium-'));
  const tmp = path.join(root, 'tmp');
  const profile = path.join(root, 'profile');
  mkdirSync(tmp);
  mkdirSync(profile);
  const log = createWriteStream(path.join(artifactsDir(), `${name}-chromium.log`));
  const proc = spawn(CHROMIUM, chromiumFlags(profile, extraArgs), {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so close() reaches its helpers too
  });
  proc.stdout.pipe(log, { end: false });
  let exited = false;
  const exit = new Promise((resolve) => proc.once('exit', () => { exited = true; resolve(); }));

  const wsEndpoint = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools URL in 20 s:\n${buf}`)), 20000);
    const onData = (chunk) => {
      log.write(chunk);
      buf += chunk.toString();
      const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stderr.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code ?? signal}) before DevTools was up:\n${buf}`));
    });
  });

  const killGroup = (sig) => {
    try { process.kill(-proc.pid, sig); } catch { /* gone */ }
  };
  let browser;
  try {
    browser = await chromium.connectOverCDP(wsEndpoint);
  } catch (err) {
    killGroup('SIGKILL');
    throw err;
  }
  return {
    browser,
    version: chromiumVersion(),
    async close() {
      await browser.close().catch(() => {});
      if (!exited) {
        killGroup('SIGTERM');
        const t = setTimeout(() => killGroup('SIGKILL'), 5000);
        await exit;
        clearTimeout(t);
      }
      log.end();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
