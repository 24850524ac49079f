// Small shared helpers for the browser tests.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (webclient/test/helpers → ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where screenshots and logs go (git-ignored). */
export function artifactsDir() {
  const dir = process.env.RINGSFU_ARTIFACTS || path.join(repoRoot, 'artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Polls `fn` until it returns a truthy value; resolves with that value.
 * Rejects after `timeoutMs` with the last value or error in the message.
 */
export async function waitFor(fn, { timeoutMs = 15000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
