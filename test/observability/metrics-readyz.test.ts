// GET /metrics and GET /readyz on a whole app: the real engine (intake, OCR, gazetteer), the
// Telegram adapter against the Bot API emulator and the web adapter, all on one host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import { startWebServer, type WebServer } from '../../adapters/web/index.ts';
import { startTelegram, type TelegramAdapter } from '../../adapters/telegram/index.ts';
import { TelegramEmulator, type TgChat, type TgUser } from '../support/telegram-emulator.ts';
import { memoryLogger } from '../support/logs.ts';
import { chatTestConfig, drawPoster } from '../telegram/fixtures.ts';
import { parsePrometheusText, sampleValue, type Exposition } from './prometheus-text.ts';

const dm: TgChat = { id: 901, type: 'private' };
const alice: TgUser = { id: 901, is_bot: false, first_name: 'Alice' };
const log = memoryLogger('debug');
let app: App;
let emu: TelegramEmulator;
let bot: TelegramAdapter;
let web: WebServer;
/** The same host behind a second web server that has EKMM_METRICS_TOKEN set. */
let guarded: WebServer;
const METRICS_TOKEN = 'metrics-token-for-tests';

before(async () => {
  const config = chatTestConfig();
  app = await createApp(config, { logger: log.logger });
  emu = await TelegramEmulator.start();
  bot = await startTelegram(app.host, config, { token: emu.token, apiRoot: emu.apiRoot });
  web = await startWebServer(app.host, config, { port: 0 });
  guarded = await startWebServer(app.host, config, { port: 0, env: { EKMM_METRICS_TOKEN: METRICS_TOKEN } });
});

after(async () => {
  await bot?.stop();
  await web?.close();
  await guarded?.close();
  await emu?.close();
  await app?.close();
});

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify((await readyz()).body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scrape(): Promise<Exposition> {
  const res = await fetch(`${web.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

async function readyz(): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; reason?: string }> } }> {
  const res = await fetch(`${web.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, { ok: boolean; reason?: string }> } };
}

test('/metrics is Prometheus text, every family named ekmm_*, with the families the operator needs', async () => {
  const m = await scrape();
  for (const name of m.types.keys()) assert.match(name, /^ekmm_/, `metric ${name} is not prefixed`);
  for (const [name, type] of [
    ['ekmm_recognitions_total', 'counter'],
    ['ekmm_stage_duration_seconds', 'histogram'],
    ['ekmm_queue_waiting', 'gauge'],
    ['ekmm_queue_running', 'gauge'],
    ['ekmm_queue_refused_total', 'counter'],
    ['ekmm_job_failures_total', 'counter'],
    ['ekmm_cache_hits_total', 'counter'],
    ['ekmm_cache_misses_total', 'counter'],
    ['ekmm_adapter_connected', 'gauge'],
    ['ekmm_statistics_writes_total', 'counter'],
    ['ekmm_process_cpu_seconds_total', 'counter'],
  ] as const) {
    assert.equal(m.types.get(name), type, `${name} is a ${type}`);
  }
  assert.equal(sampleValue(m, 'ekmm_adapter_connected', { adapter: 'telegram' }), 1, 'the Telegram adapter reports connected');
});

test('/metrics moves when messages flow: outcomes, stage timings, cache misses then hits, statistics writes', async () => {
  const before = await scrape();
  const photo = await drawPoster(['Barack Obama visits Paris']);
  for (let i = 0; i < 2; i++) {
    const id = emu.sendPhoto(dm, alice, photo);
    assert.match((await emu.waitForReply(id, 30_000)).plain, /Barack Obama/);
  }
  const webRes = await fetch(`${web.url}/api/recognize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'Google' }),
  });
  assert.equal(webRes.status, 200);
  const after = await scrape();
  const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
  assert.equal(delta('ekmm_recognitions_total', { platform: 'telegram', outcome: 'recognized' }), 2);
  assert.equal(delta('ekmm_recognitions_total', { platform: 'web', outcome: 'recognized' }), 1);
  assert.equal(delta('ekmm_stage_duration_seconds_count', { stage: 'ocr' }), 2, 'two OCR timings observed');
  assert.equal(delta('ekmm_stage_duration_seconds_count', { stage: 'total' }), 3);
  assert.ok(delta('ekmm_stage_duration_seconds_sum', { stage: 'total' }) > 0);
  assert.equal(delta('ekmm_cache_misses_total', { cache: 'ocr' }), 1, 'the first photo is read');
  assert.equal(delta('ekmm_cache_hits_total', { cache: 'ocr' }), 1, 'the same photo again comes from the cache');
  assert.equal(
    delta('ekmm_statistics_writes_total', { result: 'ok' }),
    2,
    'the two chat messages were counted; the anonymous web request was not',
  );
  assert.equal(sampleValue(after, 'ekmm_queue_running', { lane: 'image' }), 0);
  assert.equal(sampleValue(after, 'ekmm_queue_running', { lane: 'text' }), 0);
  // Logs: JSON lines with a level and time; per-request lines carry a reqId; none carries message text.
  const requestLines = log.records.filter((r) => r.adapter === 'web' && r.reqId !== undefined);
  assert.ok(requestLines.length > 0, 'fastify request lines carry reqId');
  const recognized = log.records.filter((r) => r.msg === 'recognized');
  assert.ok(
    recognized.some((r) => r.community === 'telegram:901' && r.messageId !== undefined),
    'chat lines carry the message id and community',
  );
  assert.ok(
    recognized.some((r) => typeof r.reqId === 'string' && requestLines.some((q) => q.reqId === r.reqId)),
    "a web recognition's line carries its request's reqId",
  );
  assert.ok(log.records.every((r) => typeof r.level === 'number' && typeof r.time === 'string'));
  assert.doesNotMatch(log.raw(), /Barack Obama|Google/, 'no log line carries message text');
});

test('/readyz is 200 when everything is up, 503 with the reason while the Bot API is gone, 200 again after', {
  timeout: 60_000,
}, async () => {
  const up = await readyz();
  assert.equal(up.status, 200, JSON.stringify(up.body));
  assert.deepEqual(Object.keys(up.body.checks).sort(), ['adapter:telegram', 'models', 'store:cache', 'store:stats']);
  const health = await fetch(`${web.url}/healthz`);
  assert.equal(health.status, 200);

  await emu.suspend();
  await eventually(async () => (await readyz()).status === 503, '/readyz 503', 20_000);
  const down = await readyz();
  assert.equal(down.body.ready, false);
  assert.equal(down.body.checks['adapter:telegram']?.ok, false);
  // Open to probes, /readyz gives a reason code only; the details (which may name hosts and errors)
  // only with the metrics token.
  assert.deepEqual(down.body.checks['adapter:telegram'], { ok: false, reason: 'disconnected' });
  const detailed = await fetch(`${guarded.url}/readyz`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(detailed.status, 503);
  const detail = ((await detailed.json()) as { checks: Record<string, { reason?: string; detail?: string }> }).checks['adapter:telegram'];
  assert.equal(detail?.reason, 'disconnected');
  assert.match(detail?.detail ?? '', /Bot API unreachable/);
  const anonymous = await (await fetch(`${guarded.url}/readyz`)).text();
  assert.doesNotMatch(anonymous, /Bot API unreachable|127\.0\.0\.1|detail/, 'no details without the token');
  assert.equal(down.body.checks['store:stats']?.ok, true);
  assert.equal((await fetch(`${web.url}/healthz`)).status, 200, 'liveness is not readiness');
  assert.equal(sampleValue(await scrape(), 'ekmm_adapter_connected', { adapter: 'telegram' }), 0);

  await emu.resume();
  // telegraf's poller waits 5 s after a network error before it tries again.
  await eventually(async () => (await readyz()).status === 200, '/readyz 200 again', 30_000);
  assert.equal(sampleValue(await scrape(), 'ekmm_adapter_connected', { adapter: 'telegram' }), 1);
  const id = emu.sendText(dm, alice, 'Back in Paris');
  assert.match((await emu.waitForReply(id, 20_000)).plain, /LOC: Paris/);
});

test('/metrics has queue gauges for both lanes: ekmm_queue_running and ekmm_queue_waiting with lane="image" and lane="text"', async () => {
  const releases: (() => void)[] = [];
  const hold = () => new Promise<void>((resolve) => releases.push(resolve));
  const textSlots = app.host.textQueue.concurrency;
  // The text lane full and one more waiting; one image job running.
  const held = [...Array.from({ length: textSlots + 1 }, () => app.host.textQueue.run(hold)), app.host.queue.run(hold)];
  try {
    const m = await scrape();
    assert.equal(sampleValue(m, 'ekmm_queue_running', { lane: 'text' }), textSlots);
    assert.equal(sampleValue(m, 'ekmm_queue_waiting', { lane: 'text' }), 1);
    assert.equal(sampleValue(m, 'ekmm_queue_running', { lane: 'image' }), 1);
    assert.equal(sampleValue(m, 'ekmm_queue_waiting', { lane: 'image' }), 0);
    const lanes = new Set(m.samples.filter((s) => s.name === 'ekmm_queue_running').map((s) => s.labels.lane));
    assert.deepEqual([...lanes].sort(), ['image', 'text'], 'every sample names its lane');
  } finally {
    // The task waiting in the text lane starts once a slot frees, then is released too.
    for (let tries = 0; releases.length || app.host.textQueue.stats().running + app.host.textQueue.stats().waiting > 0; tries++) {
      assert.ok(tries < 500, 'the held tasks end');
      for (const release of releases.splice(0)) release();
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(held);
  }
  const after = await scrape();
  assert.equal(sampleValue(after, 'ekmm_queue_running', { lane: 'text' }), 0);
});

test('with EKMM_METRICS_TOKEN set, /metrics needs it as a Bearer token; /healthz and /readyz stay open', async () => {
  const none = await fetch(`${guarded.url}/metrics`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assert.doesNotMatch(await none.text(), /ekmm_/, 'no metric without the token');
  const wrong = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } });
  assert.equal(wrong.status, 403);
  const right = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(right.status, 200);
  assert.ok(parsePrometheusText(await right.text()).types.has('ekmm_recognitions_total'));
  assert.equal((await fetch(`${guarded.url}/healthz`)).status, 200);
  const ready = await fetch(`${guarded.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
  // The server without the token keeps /metrics open, as before.
  assert.equal((await fetch(`${web.url}/metrics`)).status, 200);
});
