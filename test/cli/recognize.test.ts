// The CLI as a user runs it: `node bin/ekmm.js ...` in a child process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/load.ts';
import type { Recognition } from '../../src/core/types.ts';
import { drawTextImage } from '../web/fixtures.ts';

// The same deterministic setup as the web tests, given the way a user would: EKMM__ env vars.
const ENV = {
  EKMM__CACHE__URL: 'memory://',
  EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
  EKMM__RECOGNIZER__FALLBACK: 'none',
  EKMM__RECOGNIZER__GAZETTEER__ENTRIES: '{PER: [Barack Obama], LOC: [Paris]}',
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ekmm(args: string[], env: Record<string, string> = {}, cwd = PROJECT_ROOT, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/ekmm.js'), ...args], {
      cwd,
      env: { ...process.env, ...ENV, ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** stdout must be exactly one JSON object (and a newline). */
function parseOnlyJson(stdout: string): Recognition {
  const trimmed = stdout.trim();
  assert.ok(trimmed.startsWith('{') && trimmed.endsWith('}'), `stdout is not one JSON object: ${stdout.slice(0, 300)}`);
  assert.equal(trimmed.split('\n').length, 1, 'stdout has more than one line');
  return JSON.parse(trimmed) as Recognition;
}

let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekmm-cli-'));
  writeFileSync(join(dir, 'poster.png'), await drawTextImage(['Barack Obama visits Paris']));
  writeFileSync(
    join(dir, 'corrupt.png'),
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('truncated')]),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('recognize --json prints one JSON object with the entities', { timeout: 90_000 }, async () => {
  const run = await ekmm(['recognize', '--text', 'Barack Obama visits Paris', '--lang', 'en', '--json'], { EKMM__OCR__BACKEND: 'none' });
  assert.equal(run.code, 0, run.stderr);
  const r = parseOnlyJson(run.stdout);
  assert.equal(r.language, 'en');
  assert.deepEqual(
    r.entities.map((e) => [e.text, e.type, e.source, e.start, e.end]),
    [
      ['Barack Obama', 'PER', 'text', 0, 12],
      ['Paris', 'LOC', 'text', 20, 25],
    ],
  );
});

test('recognize --json with a good image, a corrupt one and a missing one: warnings, exit 1 for the missing one', {
  timeout: 90_000,
}, async () => {
  // Relative paths from another cwd: the CLI allows the images' directory for intake.
  const run = await ekmm(
    ['recognize', '--text', 'see the poster', '--image', 'poster.png', '--image', 'corrupt.png', '--image', 'missing.png', '--json'],
    {},
    dir,
  );
  // The missing file is an input named on the command line that could not be used: exit 1.
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /--image missing\.png could not be used/);
  assert.doesNotMatch(run.stderr, /corrupt\.png/);
  const r = parseOnlyJson(run.stdout);
  assert.match(r.ocr.map((l) => l.text).join(' '), /Barack Obama visits Paris/i);
  assert.deepEqual(
    r.entities
      .filter((e) => e.source === 'ocr')
      .map((e) => [e.text, e.type])
      .sort(),
    [
      ['Barack Obama', 'PER'],
      ['Paris', 'LOC'],
    ],
  );
  assert.deepEqual(r.warnings.map((w) => w.image).sort(), [1, 2], JSON.stringify(r.warnings));
  for (const w of r.warnings) {
    assert.equal(w.stage, 'intake');
    assert.match(w.code, /^image\./);
    assert.ok(w.message.length > 0, 'expected w.message.length > 0');
  }
  assert.equal(r.warnings.find((w) => w.image === 2)!.code, 'image.not_found');
});

test('recognize --text - reads stdin; an image URL from a host not allowed is a warning and exit 1', { timeout: 90_000 }, async () => {
  const run = await ekmm(
    ['recognize', '--text', '-', '--image', 'https://images.example.com/p.png', '--json'],
    { EKMM__OCR__BACKEND: 'none' },
    PROJECT_ROOT,
    'Paris by night\n',
  );
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /--image https:\/\/images\.example\.com\/p\.png could not be used: .*intake\.urlHosts/);
  const r = parseOnlyJson(run.stdout);
  assert.equal(r.text, 'Paris by night');
  assert.deepEqual(
    r.entities.map((e) => e.text),
    ['Paris'],
  );
  assert.deepEqual(
    r.warnings.map((w) => [w.code, w.image]),
    [['image.host_refused', 0]],
  );
});

test('recognize without --json prints a readable report', { timeout: 90_000 }, async () => {
  const run = await ekmm(['recognize', '--text', 'Barack Obama visits Paris', '--lang', 'en'], { EKMM__OCR__BACKEND: 'none' });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Text \(en\): Barack Obama visits Paris/);
  assert.match(run.stdout, /Entities \(2\):/);
  assert.match(run.stdout, /PER\s+Barack Obama\s+text\s+0-12\s+gazetteer/);
  assert.match(run.stdout, /LOC\s+Paris\s+text\s+20-25/);
  assert.match(run.stdout, /Timings: .*total \d+ ms/);
});

test('an unknown config key from EKMM__ env exits 2 naming the key', async () => {
  const run = await ekmm(['recognize', '--text', 'hi', '--json'], { EKMM__OCR__WORKRES: '2' });
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /EKMM__OCR__WORKRES/);
  assert.match(run.stderr, /"WORKRES" is not a key of ocr/);
});

test('an unknown key in a --config file exits 2 with a suggestion', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'server:\n  prot: 9000\n');
  const run = await ekmm(['recognize', '--text', 'hi', '--config', file]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /unknown key "server\.prot"/);
  assert.match(run.stderr, /Did you mean "server\.port"/);
});

test('usage errors exit 2; --help exits 0', async () => {
  const unknownCommand = await ekmm(['recognise']);
  assert.equal(unknownCommand.code, 2);
  assert.match(unknownCommand.stderr, /unknown command "recognise"/);
  const badLang = await ekmm(['recognize', '--text', 'hi', '--lang', 'fr']);
  assert.equal(badLang.code, 2);
  assert.match(badLang.stderr, /--lang must be one of en, zh, auto/);
  const nothing = await ekmm(['recognize']);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /--text/);
  const help = await ekmm(['recognize', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--image PATH/);
});
