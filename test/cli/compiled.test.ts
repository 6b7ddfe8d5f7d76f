// The compiled runtime: `npm run build` emits dist/, and plain node (no tsx loader anywhere,
// worker threads included) runs the CLI from it, finding config/default.yaml, models/ and the
// package version from dist/ as from the sources.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/load.ts';
import type { Recognition } from '../../src/core/types.ts';
import { drawTextImage } from '../web/fixtures.ts';

const ENTRY = join(PROJECT_ROOT, 'dist/src/cli/main.js');
// The environment a user has: not the test runner's (EKMM_TEST makes bin/ekmm.js run the sources).
const { EKMM_TEST: _test, NODE_OPTIONS: _options, ...userEnv } = process.env;
const ENV = {
  ...userEnv,
  EKMM__CACHE__URL: 'memory://',
  EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
  EKMM__RECOGNIZER__FALLBACK: 'none',
  EKMM__RECOGNIZER__GAZETTEER__ENTRIES: '{PER: [Barack Obama], LOC: [Paris]}',
};

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(() => {
  // `npm ci` builds dist/ (prepare); rebuild only when a source is newer than the build.
  const fresh =
    existsSync(ENTRY) && statSync(ENTRY).mtimeMs >= Math.max(newest(join(PROJECT_ROOT, 'src')), newest(join(PROJECT_ROOT, 'adapters')));
  if (!fresh) {
    const tsc = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(tsc.status, 0, `npm run build failed:\n${tsc.stdout}${tsc.stderr}`);
  }
});

test('plain node runs the compiled CLI: recognize with an image (OCR worker threads from dist/)', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-compiled-'));
  try {
    const poster = join(dir, 'poster.png');
    writeFileSync(poster, await drawTextImage(['Barack Obama visits Paris']));
    // No --import tsx here: a single .ts module left anywhere would fail with ERR_UNKNOWN_FILE_EXTENSION.
    const script = `const { main } = await import(${JSON.stringify(`file://${ENTRY}`)}); process.exitCode = await main(process.argv.slice(1));`;
    const r = await run(['--input-type=module', '-e', script, 'recognize', '--text', 'Seen in Paris', '--image', poster, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout) as Recognition;
    assert.deepEqual(
      rec.entities.filter((e) => e.source === 'text').map((e) => e.text),
      ['Paris'],
    );
    assert.deepEqual(
      rec.entities
        .filter((e) => e.source === 'ocr')
        .map((e) => e.text)
        .sort(),
      ['Barack Obama', 'Paris'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bin/ekmm.js runs the fresh build for a user and says nothing about tsx', async () => {
  const r = await run([join(PROJECT_ROOT, 'bin/ekmm.js'), '--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ekmm \d+\.\d+\.\d+/);
  assert.doesNotMatch(r.stderr, /older than the sources/);
});

test('npm start from dist/: serve answers /readyz and /metrics, logs JSON lines, stops on SIGTERM', { timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/ekmm.js'), 'serve', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: { ...ENV, EKMM__STATS__URL: 'memory://', EKMM__OCR__BACKEND: 'none', DISCORD_TOKEN: '', TELEGRAM_BOT_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = once(child, 'close');
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      const m = /listening on (http:\/\/[^\s"]+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('close', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
  });
  try {
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^# HELP ekmm_/m);
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /older than the sources/, 'the compiled build ran');
  for (const line of stderr.trim().split('\n')) {
    const record = JSON.parse(line) as { level: number; time: string; msg: string };
    assert.equal(typeof record.level, 'number', line);
  }
});
