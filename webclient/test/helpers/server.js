// Starts the real ringsfu binary in dev mode on free loopback ports.
import { spawn, execFileSync } from 'node:child_process';
import https from 'node:https';
import { createWriteStream, mkdtempSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { artifactsDir, repoRoot, waitFor } from './util.js';

let built = null;

/**
 * The server binary: $RINGSFU_BIN (the Makefile builds it once per run),
 * else built here once per test process.
 */
export function serverBinary() {
  if (process.env.RINGSFU_BIN) return process.env.RINGSFU_BIN;
  if (built && existsSync(built)) return built;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ringsfu-bin-'));
  built = path.join(dir, 'ringsfu');
  execFileSync(process.env.GO || 'go', ['build', '-o', built, './cmd/ringsfu'], { cwd: repoRoot, stdio: 'inherit' });
  return built;
}

/** A free TCP port on 127.0.0.1. */
export function freeTCPPort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A free UDP port on 127.0.0.1. */
export function freeUDPPort() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/**
 * Starts `ringsfu` (dev mode, app id "dev") on 127.0.0.1 with
 * `--rtc-ip 127.0.0.1 --udp-port <free port>`, and waits for /healthz.
 * Its log goes to artifacts/<name>-server.log. With `ca` (the PEM of the
 * certificate given in args as --tls-cert) the server speaks HTTPS/WSS and
 * /healthz is checked over TLS against that certificate.
 * `port` and `udpPort` restart a server where a killed one was.
 * `kill()` ends it like a crash (SIGKILL, no goodbye to clients).
 * @param {{name?: string, args?: string[], ca?: string, port?: number, udpPort?: number}} [opts]
 * @returns {Promise<{origin: string, wsURL: string, port: number, udpPort: number, logPath: string, stop: () => Promise<void>, kill: () => Promise<void>}>}
 */
export async function startServer({ name = 'server', args = [], ca = null, port: wantPort, udpPort: wantUDP } = {}) {
  const bin = serverBinary();
  const port = wantPort || await freeTCPPort();
  const udpPort = wantUDP || await freeUDPPort();
  const logPath = path.join(artifactsDir(), `${name}-server.log`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ringsfu-data-'));
  const log = createWriteStream(logPath);
  const argv = ['--listen', `127.0.0.1:${port}`, '--rtc-ip', '127.0.0.1', '--udp-port', String(udpPort),
    '--log-format', 'json', '--log-level', process.env.RINGSFU_LOG_LEVEL || 'debug',
    '--drain-delay', '0', // tests stop the server on purpose: no load balancer to drain for
    '--data-dir', dataDir, // call history's SQLite file, removed at stop
    ...args];
  const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  let exited = null;
  const exit = new Promise((resolve) => proc.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const origin = `${ca ? 'https' : 'http'}://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (exited) throw new Error(`ringsfu exited early (${JSON.stringify(exited)}); see ${logPath}`);
    if (ca) return (await httpsGet(`${origin}/healthz`, ca)).startsWith('ok');
    const res = await fetch(`${origin}/healthz`).catch(() => null);
    return res && res.ok && (await res.text()).startsWith('ok');
  }, { timeoutMs: 20000, what: `ringsfu /healthz on ${origin}` }).catch((err) => {
    proc.kill('SIGKILL');
    throw err;
  });
  return {
    origin,
    wsURL: `${ca ? 'wss' : 'ws'}://127.0.0.1:${port}/v1/signal`,
    port,
    udpPort,
    logPath,
    /** Kills the process with SIGKILL (a crash) and waits for it to exit. */
    async kill() {
      if (!exited) {
        proc.kill('SIGKILL');
        await exit;
      }
    },
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
        await exit;
        clearTimeout(t);
      }
      log.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * GETs an https URL trusting only `ca`; resolves with the body of a 200
 * answer, or '' on any failure.
 */
export function httpsGet(url, ca) {
  return new Promise((resolve) => {
    const req = https.get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(res.statusCode === 200 ? body : ''));
    });
    req.on('error', () => resolve(''));
  });
}
