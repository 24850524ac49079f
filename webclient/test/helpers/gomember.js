// Runs the Go example member (signaling/client/example/member) as a
// separate process and reads its one-JSON-line-a-second reports.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import os from 'node:os';
import path from 'node:path';
import { artifactsDir, repoRoot, waitFor } from './util.js';

let built = null;

/** The member binary: $RINGSFU_MEMBER_BIN, else built here once per test process. */
export function memberBinary() {
  if (process.env.RINGSFU_MEMBER_BIN) return process.env.RINGSFU_MEMBER_BIN;
  if (built && existsSync(built)) return built;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ringsfu-member-'));
  built = path.join(dir, 'member');
  execFileSync(process.env.GO || 'go', ['build', '-o', built, './signaling/client/example/member'], { cwd: repoRoot, stdio: 'inherit' });
  return built;
}

/** Removes the binary memberBinary built (not $RINGSFU_MEMBER_BIN). */
export function removeMemberBinary() {
  if (built) rmSync(path.dirname(built), { recursive: true, force: true });
  built = null;
}

/** A fixture of signaling/testdata/media. */
export const fixture = (file) => path.join(repoRoot, 'signaling/testdata/media', file);

/**
 * Starts a member with `args`. Its stdout reports are parsed into
 * `reports` (written to artifacts/<name>-member.jsonl by stop()); its
 * stderr goes to artifacts/<name>-member.log.
 * @param {string} name
 * @param {string[]} args
 */
export function startMember(name, args) {
  const logPath = path.join(artifactsDir(), `${name}-member.log`);
  const log = createWriteStream(logPath);
  const proc = spawn(memberBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr.pipe(log, { end: false });
  /** @type {any[]} */
  const reports = [];
  const lines = createInterface({ input: proc.stdout });
  lines.on('line', (line) => {
    try {
      reports.push(JSON.parse(line));
    } catch {
      if (!log.writableEnded) log.write(`[stdout, not json] ${line}\n`);
    }
  });
  let exited = null;
  const exit = new Promise((resolve) => proc.once('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  // The last report line may be read after 'exit'; 'close' waits for stdio.
  const closed = new Promise((resolve) => proc.once('close', resolve));

  const m = {
    name,
    logPath,
    reports,
    get exited() { return exited; },
    /** The newest report, or undefined. */
    latest: () => reports[reports.length - 1],
    /** Waits for a report for which `pred` is truthy; fails fast if the member exits. */
    waitReport(pred, { timeoutMs = 20000, what = 'a report' } = {}) {
      return waitFor(() => {
        if (exited) throw Object.assign(new Error(`${name} exited (${JSON.stringify(exited)}); see ${logPath}`), { fatal: true });
        return reports.slice().reverse().find(pred);
      }, { timeoutMs, what: `${name}: ${what}` });
    },
    /**
     * Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`).
     * Resolves with {code, signal} once stdout is read to the end.
     */
    async stop(signal = 'SIGTERM', timeoutMs = 15000) {
      if (!exited) {
        proc.kill(signal);
        const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
        await exit;
        clearTimeout(t);
      }
      await closed;
      if (!log.writableEnded) log.end();
      writeFileSync(path.join(artifactsDir(), `${name}-member.jsonl`), reports.map((r) => JSON.stringify(r) + '\n').join(''));
      return exited;
    },
  };
  return m;
}
