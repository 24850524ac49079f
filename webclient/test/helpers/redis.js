// Starts a private redis-server (Debian's binary) on a free loopback port,
// without persistence, for the cluster browser tests.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeTCPPort } from './server.js';
import { waitFor } from './util.js';

/** Whether redis answers PING on port. */
function pong(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port }, () => sock.write('PING\r\n'));
    sock.setTimeout(1000, () => { sock.destroy(); resolve(false); });
    sock.once('error', () => resolve(false));
    sock.once('data', (b) => { sock.destroy(); resolve(b.toString().startsWith('+PONG')); });
  });
}

/**
 * Starts redis-server on 127.0.0.1 and waits until it answers PING.
 * @returns {Promise<{url: string, stop: () => Promise<void>}>}
 */
export async function startRedis() {
  const port = await freeTCPPort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ringsfu-redis-'));
  const proc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' });
  let exited = false;
  const exit = new Promise((resolve) => proc.once('exit', () => { exited = true; resolve(); }));
  await waitFor(async () => {
    if (exited) throw new Error('redis-server exited at start (is it installed? apt-get install redis-server)');
    return pong(port);
  }, { timeoutMs: 10000, what: 'redis-server to answer PING' });
  return {
    url: `redis://127.0.0.1:${port}/0`,
    async stop() {
      if (!exited) {
        proc.kill('SIGKILL');
        await exit;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
