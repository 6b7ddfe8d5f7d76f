// The watchlist API (GET/POST/DELETE /api/watchlist) with the dashboard's token rules, and the
// dashboard's watchlist panel in a real headless Chromium (lists, adds, removes).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig, PROJECT_ROOT } from '../../src/config/load.ts';
import { openEntityStats, type OpenedStats } from '../../src/stats/open.ts';
import { startWebServer, type WebServer } from '../../adapters/web/index.ts';
import { Host } from '../../src/host/index.ts';
import { memoryLogger } from '../support/logs.ts';
import { dashboardLinkFor, dashboardTokens } from '../../src/stats/dashboard-token.ts';
import { WatchAlerts, WatchStore } from '../../src/watch/index.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.ts';

const config = loadConfig({
  skipDefaultFile: true,
  env: {},
  overrides: { stats: { url: 'memory://' }, server: { moderatorTokenEnv: 'TEST_MOD_TOKEN' }, watch: { maxEntries: 3 } },
});
const env = { TEST_MOD_TOKEN: 'operator-secret-w', EKMM_DASHBOARD_SECRET: 'watchlist-test-secret-0123456789' };
const tokens = dashboardTokens(env);
const A = 'discord:4242';
const B = 'telegram:-4343';
const log = memoryLogger();
let opened: OpenedStats;
let watch: WatchAlerts;
let web: WebServer;

before(async () => {
  opened = await openEntityStats(config);
  await opened.stats.record({ communityId: A, channelId: 'general', messageId: '1', entities: [{ text: 'Taylor Swift', type: 'PER' }] });
  watch = new WatchAlerts(new WatchStore(opened.store, { maxEntries: config.watch.maxEntries }), {
    windowMinutes: config.watch.alertWindowMinutes,
    logger: log.logger,
  });
  const executor = { kind: 'unused', recognize: () => Promise.reject(new Error('not used by the watchlist API')) };
  web = await startWebServer(new Host({ config, executor, stats: opened.stats, watch }), config, { port: 0, env, logger: log.logger });
});
after(async () => {
  await web.close();
  await opened.close();
});

const tokenFor = (community: string) => tokens.sign(community, 60 * 60_000);
function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${web.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}
async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}
const codeOf = async (res: Response) => ((await json(res)).error as { code: string }).code;

test('a community token lists, adds and removes its own watchlist', async () => {
  const a = tokenFor(A);
  const empty = await json(await call('GET', '/api/watchlist', a));
  assert.equal(empty.community, A);
  assert.deepEqual(empty.entries, []);
  assert.equal(empty.alertWindowMinutes, 10);

  const added = await call('POST', '/api/watchlist', a, { entity: 'Taylor  Swift' });
  assert.equal(added.status, 201);
  assert.deepEqual((await json(added)).entries, [{ kind: 'entity', entity: 'Taylor Swift', key: 'taylor swift' }]);
  const again = await call('POST', '/api/watchlist', a, { entity: 'TAYLOR SWIFT' });
  assert.equal(again.status, 200, 'a case variant is the same entry');
  assert.equal((await json(again)).added, false);
  assert.equal((await call('POST', '/api/watchlist', a, { type: 'loc' })).status, 201);

  const removed = await call('DELETE', '/api/watchlist?entity=taylor%20swift', a);
  assert.equal(removed.status, 200);
  assert.deepEqual((await json(removed)).entries, [{ kind: 'type', type: 'LOC' }]);
  assert.equal(await codeOf(await call('DELETE', '/api/watchlist?entity=Nobody', a)), 'watch.absent');
});

test('a token for one community gets 403 on another; no token 401; the operator names the community', async () => {
  const a = tokenFor(A);
  assert.equal((await call('GET', `/api/watchlist?community=${encodeURIComponent(B)}`, a)).status, 403);
  assert.equal((await call('POST', '/api/watchlist', a, { community: B, entity: 'Spy' })).status, 403);
  assert.equal((await call('DELETE', `/api/watchlist?community=${encodeURIComponent(B)}&type=LOC`, a)).status, 403);
  assert.deepEqual(await watch.watchlists.entries(B), [], 'nothing was written to B');
  assert.equal((await call('GET', '/api/watchlist', undefined)).status, 401);
  assert.equal((await call('GET', '/api/watchlist', `${a}x`)).status, 401);

  const op = env.TEST_MOD_TOKEN;
  assert.equal(await codeOf(await call('GET', '/api/watchlist', op)), 'query.invalid', 'the operator must say which community');
  assert.equal((await call('POST', '/api/watchlist', op, { community: B, entity: 'Secret Org' })).status, 201);
  assert.deepEqual((await json(await call('GET', `/api/watchlist?community=${encodeURIComponent(B)}`, op))).entries, [
    { kind: 'entity', entity: 'Secret Org', key: 'secret org' },
  ]);
  const bToken = tokenFor(B);
  assert.equal(((await json(await call('GET', '/api/watchlist', bToken))).entries as unknown[]).length, 1);
  assert.equal((await call('GET', `/api/watchlist?community=${encodeURIComponent(A)}`, bToken)).status, 403);
});

test('bad input is refused with a message naming the field; a full list is a 409', async () => {
  const a = tokenFor(A);
  const both = await call('POST', '/api/watchlist', a, { entity: 'X', type: 'PER' });
  assert.equal(both.status, 400);
  assert.match(((await json(both)).error as { message: string }).message, /exactly one of entity .* or type/);
  const badType = await call('POST', '/api/watchlist', a, { type: 'NOPE' });
  assert.match(((await json(badType)).error as { message: string }).message, /unknown entity type "NOPE".*\(type in the JSON body\)/);
  assert.equal((await call('POST', '/api/watchlist', a, { entity: 42 })).status, 400);
  assert.equal((await call('POST', '/api/watchlist', a, { entity: 'x'.repeat(201) })).status, 400);
  assert.equal((await call('DELETE', '/api/watchlist', a)).status, 400);
  const text = await fetch(`${web.url}/api/watchlist`, {
    method: 'POST',
    headers: { authorization: `Bearer ${a}`, 'content-type': 'text/plain' },
    body: 'Taylor Swift',
  });
  assert.equal(text.status, 415);
  // LOC is on the list (from the first test): two more fill the 3 entries, the next is refused.
  assert.equal((await call('POST', '/api/watchlist', a, { entity: 'One' })).status, 201);
  assert.equal((await call('POST', '/api/watchlist', a, { entity: 'Two' })).status, 201);
  const full = await call('POST', '/api/watchlist', a, { entity: 'Three' });
  assert.equal(full.status, 409);
  assert.match(((await json(full)).error as { message: string }).message, /watch\.maxEntries/);
  for (const e of ['One', 'Two']) assert.equal((await call('DELETE', `/api/watchlist?entity=${e}`, a)).status, 200);
});

test('the dashboard panel lists the watchlist, adds a name and a type, and removes one', { timeout: 120_000 }, async (t) => {
  if (!chromiumAvailable(t)) return;
  const artifacts = join(PROJECT_ROOT, 'test/artifacts');
  mkdirSync(artifacts, { recursive: true });
  let browser: Browser | undefined;
  t.after(async () => browser?.close());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 1400 } })).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const link = dashboardLinkFor(config, A, { serverUrl: web.url, env }).url;
  await page.goto(link);
  await page.waitForSelector('#watch-section:not([hidden])', { timeout: 30_000 });
  const items = () => page.$$eval('#watch-list li .watch-label', (ls) => ls.map((l) => l.textContent ?? ''));
  assert.deepEqual(await items(), ['every Places name (LOC)'], 'lists what the API holds');
  assert.match((await page.textContent('#watch-hint')) ?? '', /10 minutes/);

  await page.fill('#watch-entity', 'Angela Merkel');
  await page.click('#watch-add');
  await page.waitForFunction(() => document.querySelectorAll('#watch-list li').length === 2);
  assert.deepEqual(await items(), ['every Places name (LOC)', 'Angela Merkel']);
  assert.equal(await page.textContent('#watch-status'), 'Added.');
  assert.deepEqual(
    (await watch.watchlists.entries(A)).map((e) => (e.kind === 'entity' ? e.text : e.type)),
    ['LOC', 'Angela Merkel'],
    'stored on the server',
  );

  await page.selectOption('#watch-type', 'PER');
  await page.click('#watch-add');
  await page.waitForFunction(() => document.querySelectorAll('#watch-list li').length === 3);
  await page.screenshot({ path: join(artifacts, 'dashboard-watchlist.png'), fullPage: true });

  await page.click('#watch-list li:nth-child(1) .watch-remove');
  await page.waitForFunction(() => document.querySelectorAll('#watch-list li').length === 2);
  assert.deepEqual(await items(), ['Angela Merkel', 'every People name (PER)']);

  // Chinese labels follow the language switch.
  await page.click('#lang-zh');
  assert.equal(await page.textContent('#watch-section h2'), '关注列表');
  assert.deepEqual(await items(), ['Angela Merkel', '所有人物名称 (PER)']);
  assert.deepEqual(errors, []);
});
