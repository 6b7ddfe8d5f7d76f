// `ekmm serve` in a child process: it starts the web adapter, answers, and stops on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';
import { PROJECT_ROOT } from '../../src/config/load.ts';
import { TelegramEmulator } from '../support/telegram-emulator.ts';

const ENV = {
  EKMM__CACHE__URL: 'memory://',
  EKMM__STATS__URL: 'memory://',
  EKMM_MODERATOR_TOKEN: 'moderator-secret',
  EKMM__OCR__BACKEND: 'none',
  EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
  EKMM__RECOGNIZER__FALLBACK: 'none',
  EKMM__RECOGNIZER__GAZETTEER__ENTRIES: '{LOC: [Paris]}',
  // Bots stay off whatever the developer's shell holds.
  DISCORD_TOKEN: '',
  TELEGRAM_BOT_TOKEN: '',
};

test('serve runs the web adapter until SIGTERM, then exits 0', { timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/ekmm.js'), 'serve', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...ENV },
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
    const health = (await (await fetch(`${url}/healthz`)).json()) as { ok: boolean; backends: Record<string, unknown> };
    assert.equal(health.ok, true);
    assert.equal(health.backends.ocr, 'none');
    const res = await fetch(`${url}/api/recognize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Back in Paris' }),
    });
    const body = (await res.json()) as { entities: Array<{ text: string; type: string }> };
    assert.deepEqual(
      body.entities.map((e) => [e.text, e.type]),
      [['Paris', 'LOC']],
    );
    // The statistics route is wired in, behind the moderator token.
    assert.equal((await fetch(`${url}/api/stats?community=web`)).status, 401);
    const stats = await fetch(`${url}/api/stats?community=web`, { headers: { authorization: 'Bearer moderator-secret' } });
    assert.equal(stats.status, 200, await stats.clone().text());
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, stderr);
  assert.match(stderr, /SIGTERM received, shutting down/);
  assert.match(stderr, /web stopped/);
  assert.match(stderr, /statistics stopped/);
});

test('serve with the web adapter disabled and no bot tokens refuses to start', async () => {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/ekmm.js'), 'serve'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...ENV, EKMM__SERVER__ENABLED: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr, /nothing to serve/);
});

test('serve starts the Telegram bot when its token is set and stops it on SIGINT', { timeout: 90_000 }, async () => {
  const emu = await TelegramEmulator.start();
  try {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/ekmm.js'), 'serve'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...ENV, EKMM__SERVER__ENABLED: 'false', TELEGRAM_BOT_TOKEN: emu.token, EKMM__TELEGRAM__APIROOT: emu.apiRoot },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = once(child, 'close');
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (stderr.includes('serve: running')) resolve();
      });
      child.on('close', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
    });
    assert.match(stderr, /serve: running telegram;/);
    const id = emu.sendText({ id: 77, type: 'private' }, { id: 77, is_bot: false, first_name: 'Pat' }, 'Greetings from Paris');
    const reply = await emu.waitForReply(id, 30_000);
    assert.match(reply.plain, /LOC: Paris/);
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, stderr);
    assert.match(stderr, /telegram stopped/);
    assert.doesNotMatch(stderr, new RegExp(emu.token.replace(/[^\w]/g, '.')), 'the bot token is never logged');
  } finally {
    await emu.close();
  }
});
