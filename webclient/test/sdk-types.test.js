// The JS SDK as an npm package (issue 13 item 15): its package.json is in
// step with the protocol version, the committed TypeScript declarations
// (webclient/static/sdk/types, generated from the JSDoc) are up to date,
// and a typed usage example compiles against them with `tsc --noEmit`
// (a wrong use fails). No browser; runs with the browser suite (~5 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const sdk = path.join(here, '../static/sdk');
const tsc = path.join(here, 'node_modules/.bin/tsc');

/** The command that generates the declarations (also `make sdk-types`). */
export const GEN_ARGS = ['--allowJs', '--declaration', '--emitDeclarationOnly', '--target', 'es2022',
  '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', 'ringsfu.js'];

test('package.json: ES module, exports with types, major version = protocol version', async () => {
  const pkg = JSON.parse(readFileSync(path.join(sdk, 'package.json'), 'utf8'));
  const { PROTOCOL_VERSION } = await import(path.join(sdk, 'client.js'));
  assert.equal(pkg.type, 'module');
  assert.equal(Number(pkg.version.split('.')[0]), PROTOCOL_VERSION, `version ${pkg.version} vs protocol ${PROTOCOL_VERSION}`);
  assert.equal(pkg.exports['.'].types, pkg.types);
  for (const f of [pkg.exports['.'].default, pkg.exports['.'].types]) assert.ok(existsSync(path.join(sdk, f)), `${f} exists`);
});

test('the committed declarations match the JSDoc, and a typed example compiles (a wrong use does not)', { timeout: 120_000 }, async (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'ringsfu-types-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  await run(tsc, [...GEN_ARGS, '--outDir', out], { cwd: sdk });
  const committed = path.join(sdk, 'types');
  const names = readdirSync(out).sort();
  assert.deepEqual(readdirSync(committed).sort(), names, 'the same declaration files (run `make sdk-types`)');
  for (const n of names) {
    assert.equal(readFileSync(path.join(committed, n), 'utf8'), readFileSync(path.join(out, n), 'utf8'),
      `types/${n} is stale: run \`make sdk-types\``);
  }

  // The example, as an app that installed the package would write it.
  const ex = path.join(here, 'sdk-types');
  await run(tsc, ['-p', path.join(ex, 'tsconfig.json')]);

  // The same with a type error must fail, or the check proves nothing.
  const bad = mkdtempSync(path.join(ex, 'bad-'));
  t.after(() => rmSync(bad, { recursive: true, force: true }));
  copyFileSync(path.join(ex, 'example.ts'), path.join(bad, 'example.ts'));
  writeFileSync(path.join(bad, 'example.ts'), `${readFileSync(path.join(ex, 'example.ts'), 'utf8')}
export const wrong: number = (await new RingsfuClient().connect({ token: 'x' })).sessionId;
`);
  const cfg = JSON.parse(readFileSync(path.join(ex, 'tsconfig.json'), 'utf8'));
  cfg.compilerOptions.paths['@ringsfu/sdk'] = ['../../../static/sdk'];
  writeFileSync(path.join(bad, 'tsconfig.json'), JSON.stringify(cfg));
  const res = await run(tsc, ['-p', path.join(bad, 'tsconfig.json')]).then(() => null, (err) => err);
  assert.ok(res, 'tsc accepted a string as a number');
  assert.match(res.stdout, /TS2322/);
});
