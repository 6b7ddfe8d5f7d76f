// The first hour of a new user, through the real CLI in child processes: --version, the --help
// examples run as typed, exit codes 0/1/2, error messages that name the flag / variable / file,
// state under the working directory or EKMM_HOME, .env loading, progress only on a terminal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config/load.ts';
import { startRedis } from '../support/redis.ts';

const BIN = join(PROJECT_ROOT, 'bin/ekmm.js');
// Deterministic and fast where the test is not about the models: a gazetteer, no OCR, no disk cache.
const QUICK = {
  EKMM__CACHE__URL: 'memory://',
  EKMM__OCR__BACKEND: 'none',
  EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
  EKMM__RECOGNIZER__FALLBACK: 'none',
  EKMM__RECOGNIZER__GAZETTEER__ENTRIES: '{PER: [Barack Obama], LOC: [Paris]}',
};

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/**
 * The environment without the caller's EKMM settings (config variables, EKMM_HOME...), plus
 * `env`. EKMM_TEST stays: like every test, these run the TypeScript sources, not a dist/ build.
 */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EKMM') || k === 'EKMM_TEST'));
  return { ...base, ...env };
}

function ekmm(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: opts.cwd ?? PROJECT_ROOT, env: cleanEnv(opts.env ?? {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir: string;
let home: string;
let binDir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekmm-newcomer-'));
  home = join(dir, 'home');
  mkdirSync(home);
  // `ekmm` on PATH, as after `npm install -g` or inside `npx`, so help examples run as typed.
  binDir = join(dir, 'bin');
  mkdirSync(binDir);
  symlinkSync(BIN, join(binDir, 'ekmm'));
  writeFileSync(
    join(dir, 'corrupt.png'),
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('truncated')]),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('--version and -v print the package version, exit 0', () => {
  const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const run = ekmm([flag]);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, `ekmm ${version}\n`);
  }
  const unknown = ekmm(['--verbose']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown option "--verbose"/);
});

/** The `ekmm ...` lines under "Example:" / "Examples:" in a help text. */
function examples(help: string): string[] {
  const lines = help.split('\n');
  const at = lines.findIndex((l) => /^Examples?\b/.test(l));
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!/^ {2}(EKMM__[A-Z_]+=\S+ )*ekmm /.test(l)) break;
    out.push(l.trim());
  }
  return out;
}

function shell(line: string, redisUrl: string | undefined): Promise<Run & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const env = cleanEnv({ EKMM_HOME: home, PATH: `${binDir}:${process.env.PATH ?? ''}` });
    // The examples say "a Redis at 127.0.0.1:6379"; the test's own redis-server is on a free port.
    const typed = redisUrl ? line.replaceAll('redis://127.0.0.1:6379', redisUrl) : line;
    // bash runs a single simple command in its own process (no fork), so signals reach ekmm.
    const child = spawn('bash', ['-c', typed], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let stopped = false;
    // `serve` and `worker` run until a signal: once they are up the example has worked; stop them
    // as Ctrl+C would (once: a second Ctrl+C means "exit now", 130).
    const stopWhenUp = () => {
      if (!stopped && /Ctrl\+C to stop|worker: ready on queue/.test(out + err)) {
        stopped = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      stopWhenUp();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      stopWhenUp();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

test('every command has a --help with an example, and each example works as typed', { timeout: 300_000 }, async (t) => {
  const commands = ['recognize', 'serve', 'data', 'eval', 'tag', 'stats', 'export', 'experiment', 'examples', 'worker', 'queue'];
  const redis = await startRedis(t);
  if (!redis) return;
  const top = ekmm(['--help']);
  assert.equal(top.code, 0);
  const all = [...examples(top.out)];
  for (const command of commands) {
    const help = ekmm([command, '--help']);
    assert.equal(help.code, 0, `${command} --help: ${help.err}`);
    const found = examples(help.out);
    assert.ok(found.length > 0, `${command} --help shows no example:\n${help.out}`);
    all.push(...found);
  }
  for (const line of all) {
    const run = await shell(line, redis.url);
    assert.equal(run.code, 0, `"${line}" exited ${run.code} (${run.signal ?? ''}):\n${run.err}\n${run.out.slice(0, 500)}`);
  }
});

test('exit 1: an image named on the command line does not exist; the result is still printed', () => {
  const run = ekmm(['recognize', '--text', 'Barack Obama in Paris', '--image', 'examples/poster.png', '--image', 'nope.jpg', '--json'], {
    env: QUICK,
  });
  assert.equal(run.code, 1, run.err);
  const r = JSON.parse(run.out) as { entities: { text: string }[]; warnings: { code: string }[] };
  assert.deepEqual(
    r.entities.map((e) => e.text),
    ['Barack Obama', 'Paris'],
  );
  assert.deepEqual(
    r.warnings.map((w) => w.code),
    ['image.not_found'],
  );
  assert.match(run.err, /--image nope\.jpg could not be used: .*does not exist/);
});

test('exit 0: an image whose content is refused (corrupt) stays a warning in the result', () => {
  const run = ekmm(['recognize', '--text', 'hello', '--image', join(dir, 'corrupt.png'), '--json'], { env: QUICK });
  assert.equal(run.code, 0, run.err);
  const r = JSON.parse(run.out) as { warnings: { code: string }[] };
  assert.deepEqual(
    r.warnings.map((w) => w.code),
    ['image.corrupt'],
  );
  assert.equal(run.err, '');
});

test('exit 2: usage errors name the flag and what is valid', () => {
  const noArgs = ekmm(['eval', '--gold', 'examples/tweets.txt']);
  assert.equal(noArgs.code, 2);
  assert.match(noArgs.err, /--gold and --pred are required/);
  const badFlag = ekmm(['tag', '--modle', 'en']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.err, /--modle/);
});

test('a missing file named by a flag: exit 1, naming the flag and the path (no raw ENOENT)', () => {
  const run = ekmm(['eval', '--gold', 'nope.txt', '--pred', 'examples/tweets.txt']);
  assert.equal(run.code, 1);
  assert.match(run.err, /^ekmm eval: --gold nope\.txt: no such file/);
  assert.doesNotMatch(run.err, /ENOENT/);
  const tag = ekmm(['tag', '--model', 'en', '--input', 'examples/tweets.txt', '--output', join(dir, 'p.txt'), '--knowledge', 'k.txt']);
  assert.equal(tag.code, 1);
  assert.match(tag.err, /--knowledge k\.txt: no such file/);
});

test('tag --model with an unknown name lists the models there are (exit 2)', () => {
  const run = ekmm(['tag', '--model', 'fr', '--input', 'examples/tweets.txt', '--output', join(dir, 'p.txt')]);
  assert.equal(run.code, 2);
  assert.match(
    run.err,
    /--model fr: no such model; models here: en \(models\/ner-en\), en-knowledge \(models\/ner-en-knowledge\), zh \(models\/ner-zh\), or a directory holding a manifest\.json/,
  );
});

test('tag warns when the model language is not the input language, and still tags', () => {
  const out = join(dir, 'zh-pred.txt');
  const run = ekmm(['tag', '--model', 'zh', '--input', 'examples/tweets.txt', '--output', out]);
  assert.equal(run.code, 0, run.err);
  assert.match(run.err, /warning: --input examples\/tweets\.txt looks English but --model zh is the Chinese model; use --model en/);
  assert.ok(existsSync(out));
  const ok = ekmm(['tag', '--model', 'en', '--input', 'examples/tweets.txt', '--output', out]);
  assert.doesNotMatch(ok.err, /warning/);
});

test('data stats refuses a file that is not a dataset (exit 1) and names the formats it reads', () => {
  const image = ekmm(['data', 'stats', 'examples/poster.png']);
  assert.equal(image.code, 1);
  assert.match(image.err, /examples\/poster\.png: binary content .* not a dataset file: Twitter IMGID, CMNER WID, CoNLL/);
  assert.equal(image.out, '');
  const prose = join(dir, 'notes.txt');
  writeFileSync(prose, 'Dear team,\nthe meeting moves to Friday.\nBest, Anna\n');
  const text = ekmm(['data', 'stats', prose]);
  assert.equal(text.code, 1);
  assert.match(text.err, /not a dataset: 0 token lines, \d+ malformed lines \(first problem: line 1: /);
});

test('messages name no internal function: a PGIM knowledge file points at --knowledge', () => {
  const file = join(dir, 'knowledge.txt');
  writeFileSync(file, 'Obama\tO\n<EOS>\tX\nNamed\tX\nentities\tX\n\n');
  const run = ekmm(['data', 'stats', file]);
  assert.equal(run.code, 1);
  assert.match(run.err, /PGIM knowledge file .* pass it to --knowledge of ekmm tag or ekmm export/);
  assert.doesNotMatch(run.err, /\w\(\)/);
});

test('a config value from the environment names the variable, the value and the type wanted', () => {
  const run = ekmm(['serve'], { env: { EKMM__SERVER__PORT: 'abc' } });
  assert.equal(run.code, 2);
  assert.match(run.err, /"server\.port": expected number, received string; got "abc" \(environment variable EKMM__SERVER__PORT=abc\)/);
});

test('a YAML indentation error is reported at the line and column to fix', () => {
  const file = join(dir, 'indent.yaml');
  writeFileSync(file, 'server:\n  port: 9000\n    host: 0.0.0.0\n');
  const run = ekmm(['recognize', '--text', 'hi', '--config', file]);
  assert.equal(run.code, 2);
  assert.match(
    run.err,
    /indent\.yaml, line 3, column 5: this line is indented deeper \(column 5\) than "port: 9000" on line 2 \(column 3\)/,
  );
  const typed = join(dir, 'typed.yaml');
  writeFileSync(typed, 'ocr:\n  workers: 1\nserver:\n  port: high\n');
  const bad = ekmm(['recognize', '--text', 'hi', '--config', typed]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /"server\.port": .*got "high" \(config file .*typed\.yaml line 4, column 3\)/);
});

test('state goes under the working directory, or EKMM_HOME, never into the package', () => {
  const env = { ...QUICK, EKMM__CACHE__URL: 'sqlite://var/cache.sqlite' };
  const work = join(dir, 'work');
  mkdirSync(work);
  const inCwd = ekmm(['recognize', '--text', 'Paris'], { env, cwd: work });
  assert.equal(inCwd.code, 0, inCwd.err);
  assert.ok(existsSync(join(work, 'var/cache.sqlite')), 'the cache is not in the working directory');
  const state = join(dir, 'state');
  const inHome = ekmm(['recognize', '--text', 'Paris'], { env: { ...env, EKMM_HOME: state }, cwd: work });
  assert.equal(inHome.code, 0, inHome.err);
  assert.ok(existsSync(join(state, 'var/cache.sqlite')), 'the cache is not under EKMM_HOME');
});

test('.env in the working directory is loaded at start; exported variables win over it', () => {
  const work = join(dir, 'dotenv');
  mkdirSync(work);
  writeFileSync(join(work, '.env'), 'EKMM__SERVER__PORT=from-dotenv\n');
  const run = ekmm(['serve'], { cwd: work });
  assert.equal(run.code, 2);
  assert.match(run.err, /got "from-dotenv" \(environment variable EKMM__SERVER__PORT=from-dotenv\)/);
  const exported = ekmm(['serve'], { cwd: work, env: { EKMM__SERVER__PORT: 'exported' } });
  assert.match(exported.err, /got "exported"/);
});

test('.env.example lists every environment variable the code reads', () => {
  const example = readFileSync(join(PROJECT_ROOT, '.env.example'), 'utf8');
  const named = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
  const grep = (pattern: string, paths: string[]) =>
    spawnSync('git', ['grep', '-hoE', pattern, '--', ...paths], { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout;
  // process.env.NAME anywhere; quoted EKMM_* / *_TOKEN / *_KEY names in the product code (tests
  // name their own throwaway variables); ${env:NAME} in experiment plans.
  const found = [
    ...grep(String.raw`process\.env\.[A-Z][A-Z0-9_]+`, ['src', 'adapters', 'bin', 'test', 'bench']).matchAll(
      /process\.env\.([A-Z][A-Z0-9_]+)/g,
    ),
    ...grep(String.raw`['"\x60](EKMM_[A-Z0-9_]+|[A-Z][A-Z0-9]*_(TOKEN|KEY))['"\x60]`, ['src', 'adapters', 'bin']).matchAll(
      /(EKMM_[A-Z0-9_]+|[A-Z][A-Z0-9]*_(?:TOKEN|KEY))/g,
    ),
    ...grep(String.raw`\$\{env:[A-Z][A-Z0-9_]+\}`, ['experiments', 'examples']).matchAll(/env:([A-Z][A-Z0-9_]+)/g),
  ].map((m) => m[1]!);
  // PATH, HOME and the like are the system's; SHARDS is set by discord.js's ShardingManager in
  // the shard processes it starts; NAME is the placeholder in the plan docs; EKMM__ is the prefix
  // of the config variables (.env.example shows the form).
  const SYSTEM = new Set(['PATH', 'HOME', 'TMPDIR', 'NAME', 'SHARDS']);
  const read = new Set(found.filter((v) => !SYSTEM.has(v) && !v.endsWith('_')));
  assert.ok(read.size >= 8, `found only ${[...read].join(', ')}`);
  const missing = [...read].filter((v) => !named.has(v));
  assert.deepEqual(missing, [], `.env.example lacks ${missing.join(', ')}`);
});

test('progress goes to stderr only when it is a terminal', () => {
  const out = join(dir, 'tty-pred.txt');
  const cmd = `${process.execPath} ${BIN} tag --model en --input examples/tweets.txt --output ${out}`;
  // script(1) runs the command on a pseudo-terminal, as a person's shell would.
  const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: PROJECT_ROOT, encoding: 'utf8', env: cleanEnv({}) });
  assert.equal(tty.status, 0, tty.stdout + tty.stderr);
  const ESC = String.fromCharCode(27); // the terminal's erase-line sequence starts with it
  assert.ok(tty.stdout.includes(`\r${ESC}[2Kekmm tag: examples/tweets.txt: 8/8 posts (100%)`), JSON.stringify(tty.stdout));
  const piped = ekmm(['tag', '--model', 'en', '--input', 'examples/tweets.txt', '--output', out]);
  assert.equal(piped.code, 0);
  assert.ok(!piped.err.includes(ESC) && !piped.err.includes('\r'), JSON.stringify(piped.err));
  assert.match(piped.err, /8 posts .* posts\/s/);
  // recognize with several images: the engine reports no counts, so the line shows elapsed time.
  const images = `${process.execPath} ${BIN} recognize --text hi --image examples/poster.png --image examples/poster.png`;
  const many = spawnSync('script', ['-qec', images, '/dev/null'], { cwd: PROJECT_ROOT, encoding: 'utf8', env: cleanEnv(QUICK) });
  assert.equal(many.status, 0, many.stdout);
  assert.ok(many.stdout.includes(`\r${ESC}[2Kekmm recognize: reading 2 images, 0 s elapsed`), JSON.stringify(many.stdout.slice(0, 300)));
});

test('connection failures name the platform or backend: Discord, Telegram, Redis, LLM', { timeout: 120_000 }, () => {
  // Port 1 on loopback: nothing listens there, so every connection is refused at once.
  const off = { EKMM__SERVER__ENABLED: 'false', EKMM__CACHE__URL: 'memory://', EKMM__STATS__URL: 'memory://' };
  const discord = ekmm(['serve'], { env: { ...off, DISCORD_TOKEN: 'x', EKMM__DISCORD__APIBASE: 'http://127.0.0.1:1' } });
  assert.equal(discord.code, 1, discord.err);
  assert.match(discord.err, /Discord: cannot connect or log in \(API http:\/\/127\.0\.0\.1:1, token from DISCORD_TOKEN\)/);
  const telegram = ekmm(['serve'], { env: { ...off, TELEGRAM_BOT_TOKEN: 'secret-token', EKMM__TELEGRAM__APIROOT: 'http://127.0.0.1:1' } });
  assert.equal(telegram.code, 1, telegram.err);
  assert.match(telegram.err, /Telegram: cannot reach the Bot API at http:\/\/127\.0\.0\.1:1 \(token from TELEGRAM_BOT_TOKEN\)/);
  assert.doesNotMatch(telegram.err, /secret-token/);
  const redis = ekmm(['recognize', '--text', 'Paris'], { env: { ...QUICK, EKMM__CACHE__URL: 'redis://127.0.0.1:1' } });
  assert.equal(redis.code, 1);
  assert.match(redis.err, /cannot connect to Redis/);
  const llm = ekmm(['recognize', '--text', 'Paris', '--json'], {
    env: {
      ...QUICK,
      EKMM__RECOGNIZER__BACKENDS: '[llm]',
      EKMM__RECOGNIZER__LLM: '{baseURL: "http://127.0.0.1:1/v1", model: m, retries: 0}',
    },
  });
  const r = JSON.parse(llm.out) as { warnings: { message: string }[] };
  assert.ok(
    r.warnings.some((w) => /LLM m at http:\/\/127\.0\.0\.1:1\/v1: connection failed/.test(w.message)),
    JSON.stringify(r.warnings),
  );
});
