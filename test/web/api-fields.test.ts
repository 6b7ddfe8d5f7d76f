// POST /api/recognize as an integration point: community/channel/user/id fields count the
// entities under web:<community> in the shared statistics, and EKMM_API_TOKEN guards the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import { startWebServer, type WebServer } from '../../adapters/web/index.ts';
import { Host, WorkQueue, type RecognitionExecutor } from '../../src/host/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { testConfig } from './fixtures.ts';
import { memoryLogger } from '../support/logs.ts';

const TOKEN = 'api-token-for-tests';
let app: App;
let open: WebServer;
let guarded: WebServer;
const log = memoryLogger();

before(async () => {
  const config = testConfig({ ocr: { backend: 'none' }, guards: { perUserPerMinute: 3, perCommunityPerMinute: 100 } });
  app = await createApp(config);
  open = await startWebServer(app.host, config, { port: 0, env: {}, logger: log.logger });
  guarded = await startWebServer(app.host, config, { port: 0, env: { EKMM_API_TOKEN: TOKEN }, logger: log.logger });
});

after(async () => {
  await open?.close();
  await guarded?.close();
  await app?.close();
});

const post = (web: WebServer, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${web.url}/api/recognize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

test('with community set, entities are counted under web:<community> per channel; without it nothing is counted', async () => {
  const res = await post(open, { text: 'Barack Obama in Paris', community: 'blog', channel: 'comments', user: 'reader-1', id: 'post-1' });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(
    ((await res.json()) as { entities: { text: string }[] }).entities.map((e) => e.text),
    ['Barack Obama', 'Paris'],
  );
  const rows = await app.stats.rows({ communityId: 'web:blog' });
  assert.deepEqual(rows.map((r) => [r.channel, r.type, r.entity, r.count]).sort(), [
    ['comments', 'LOC', 'paris', 1],
    ['comments', 'PER', 'barack obama', 1],
  ]);
  assert.equal((await post(open, { text: 'Paris again' })).status, 200);
  assert.equal(await app.stats.total('web:blog'), 2, 'an anonymous request is not counted anywhere');
  assert.equal(await app.stats.total('web'), 0);
});

test('multipart requests carry the same fields', async () => {
  const form = new FormData();
  form.append('text', 'Google in Paris');
  form.append('community', 'forum');
  form.append('id', '77');
  const res = await fetch(`${open.url}/api/recognize`, { method: 'POST', body: form });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await app.stats.total('web:forum'), 2);
});

test('a repeated message id is not counted twice (idempotency lives in the statistics store)', async () => {
  for (let i = 0; i < 2; i++) assert.equal((await post(open, { text: 'Google', community: 'dedupe', id: 'same-id' })).status, 200);
  assert.equal(await app.stats.total('web:dedupe'), 1);
});

test('bad integration fields get a 400 naming the field', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ text: 'hi', community: 42.5 }, /"community" must be a string/],
    [{ text: 'hi', channel: '' }, /"channel" must be 1 to 256 characters/],
    [{ text: 'hi', user: 'a\nb' }, /"user" must be 1 to 256 characters without control characters/],
    [{ text: 'hi', id: 'x'.repeat(300) }, /"id" must be 1 to 256/],
  ];
  for (const [body, message] of cases) {
    const res = await post(open, body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const err = ((await res.json()) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'request.bad_field');
    assert.match(err.message, message);
  }
});

test('a named user is rate-limited by the host guards (429 with Retry-After)', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await post(open, { text: 'Paris', user: 'flooder', community: 'rl' })).status);
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  const refused = await post(open, { text: 'Paris', user: 'flooder' });
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'rate.user_rate');
});

test('with EKMM_API_TOKEN set the API needs it as a Bearer token; the token is never logged', async () => {
  const none = await post(guarded, { text: 'Paris' });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'auth.missing');
  const wrong = await post(guarded, { text: 'Paris' }, { authorization: 'Bearer not-the-token' });
  assert.equal(wrong.status, 403);
  assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'auth.refused');
  const right = await post(guarded, { text: 'Paris' }, { authorization: `Bearer ${TOKEN}` });
  assert.equal(right.status, 200);
  assert.equal((await fetch(`${guarded.url}/healthz`)).status, 200, 'health stays open');
  assert.ok(log.records.length > 0, 'requests were logged');
  assert.doesNotMatch(log.raw(), new RegExp(TOKEN));
});

test('a client that goes away while its request waits gives its queue place up', async () => {
  const config = testConfig({ ocr: { backend: 'none' } });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const seen: string[] = [];
  const executor: RecognitionExecutor = {
    kind: 'gated',
    async recognize(m) {
      seen.push(m.text);
      await gate;
      return app.engine.recognize(m);
    },
  };
  // Text-only requests go to the text lane (limits.textLane): that is the one made small here.
  const host = new Host({ config, executor, textQueue: new WorkQueue(1, 5), logger: silentLogger() });
  const web = await startWebServer(host, config, { port: 0, env: {}, logger: silentLogger() });
  try {
    const first = post(web, { text: 'first in Paris' });
    while (host.textQueue.stats().running === 0) await new Promise((r) => setTimeout(r, 10));
    const leaving = new AbortController();
    const second = fetch(`${web.url}/api/recognize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'second' }),
      signal: leaving.signal,
    });
    while (host.textQueue.stats().waiting === 0) await new Promise((r) => setTimeout(r, 10));
    leaving.abort();
    await assert.rejects(second);
    while (host.textQueue.stats().waiting > 0) await new Promise((r) => setTimeout(r, 10));
    release();
    assert.equal((await first).status, 200);
    assert.deepEqual(seen, ['first in Paris'], 'the abandoned request never reached the executor');
    assert.equal((await host.metrics.recognitions.get()).values.find((v) => v.labels.outcome === 'dismissed')?.value, 1);
  } finally {
    release();
    await web.close();
  }
});
