// The dashboard's statistics API and its sign-in: tokens name one community, expire, cannot be
// altered; the operator token sees every community; nothing logs a token.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats, type OpenedStats } from '../../src/stats/open.ts';
import { startWebServer, type WebServer } from '../../adapters/web/index.ts';
import { Host } from '../../src/host/index.ts';
import { memoryLogger } from '../support/logs.ts';
import { dashboardLinkFor, dashboardTokens, DashboardTokens, DashboardTokenError } from '../../src/stats/dashboard-token.ts';

const config = loadConfig({
  skipDefaultFile: true,
  env: {},
  overrides: { stats: { url: 'memory://' }, server: { moderatorTokenEnv: 'TEST_MOD_TOKEN', publicUrl: 'https://ekmm.example.org/' } },
});
const env = { TEST_MOD_TOKEN: 'operator-secret-1', EKMM_DASHBOARD_SECRET: 'dashboard-secret-for-tests-0123456789' };
const tokens = dashboardTokens(env);
const A = 'discord:111';
const B = 'telegram:-222';
const log = memoryLogger();
let opened: OpenedStats;
let web: WebServer;

before(async () => {
  opened = await openEntityStats(config);
  const day = (n: number) => new Date(Date.now() - n * 86_400_000);
  for (let i = 0; i < 6; i++) {
    await opened.stats.record({
      communityId: A,
      channelId: 'general',
      messageId: `a${i}`,
      entities: [
        { text: 'Taylor Swift', type: 'PER' },
        { text: 'Paris', type: 'LOC', source: 'ocr' },
      ],
      at: day(0),
    });
  }
  await opened.stats.record({
    communityId: A,
    channelId: 'memes',
    messageId: 'a-old',
    entities: [{ text: 'Paris', type: 'LOC' }],
    at: day(20),
  });
  await opened.stats.record({
    communityId: B,
    channelId: 'x',
    messageId: 'b1',
    entities: [{ text: 'Secret Org', type: 'ORG' }],
    at: day(0),
  });
  const executor = { kind: 'unused', recognize: () => Promise.reject(new Error('not used by the dashboard')) };
  const host = new Host({ config, executor, stats: opened.stats });
  web = await startWebServer(host, config, { port: 0, env, logger: log.logger });
});
after(async () => {
  await web.close();
  await opened.close();
});

const get = (path: string, token?: string) => fetch(`${web.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

test('tokens: signed for one community, expiring, and any altered byte refuses them', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  const token = tokens.sign(A, 60_000, now);
  assert.deepEqual(tokens.verify(token, now), { communityId: A, expiresAt: new Date(now.getTime() + 60_000) });
  assert.throws(
    () => tokens.verify(token, new Date(now.getTime() + 60_000)),
    (e: DashboardTokenError) => e.problem === 'expired',
  );
  const [payload, mac] = token.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ c: B, exp: now.getTime() + 60_000, v: 1 })).toString('base64url');
  assert.throws(
    () => tokens.verify(`${forged}.${mac}`, now),
    (e: DashboardTokenError) => e.problem === 'signature',
    'another community under the same MAC',
  );
  assert.throws(() => tokens.verify(`${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, now), DashboardTokenError);
  assert.throws(
    () => new DashboardTokens('x'.repeat(32)).verify(token, now),
    (e: DashboardTokenError) => e.problem === 'signature',
    'another secret',
  );
  assert.throws(
    () => tokens.verify('not-a-token', now),
    (e: DashboardTokenError) => e.problem === 'malformed',
  );
  assert.notEqual(new DashboardTokens().sign(A), new DashboardTokens().sign(A), 'without a secret each start has its own random key');
  assert.throws(() => new DashboardTokens('short'), /at least 16 characters/);
  const link = dashboardLinkFor(config, A, { env, now });
  assert.match(link.url, /^https:\/\/ekmm\.example\.org\/dashboard#t=[\w-]+\.[\w-]{43}$/);
  assert.equal(tokens.verify(link.url.split('#t=')[1]!, now).communityId, A);
  assert.equal(link.expiresAt.getTime() - now.getTime(), 24 * 3_600_000, 'default lifetime 24 h');
});

test('a token for community A reads A, gets 403 on B; missing, expired or altered tokens get 401', async () => {
  const tokenA = tokens.sign(A);
  const own = await get('/api/stats/top?days=7', tokenA);
  assert.equal(own.status, 200);
  const body = (await own.json()) as { community: string; top: Record<string, Array<{ label: string; count: number }>> };
  assert.equal(body.community, A);
  assert.deepEqual(body.top.PER, [{ entity: 'taylor swift', label: 'Taylor Swift', count: 6 }]);
  for (const path of [
    '/api/stats/top',
    '/api/stats/rising',
    '/api/stats/pairs',
    '/api/stats/breakdown',
    '/api/stats/series?entity=paris',
  ]) {
    const other = await get(`${path}${path.includes('?') ? '&' : '?'}community=${encodeURIComponent(B)}`, tokenA);
    assert.equal(other.status, 403, `${path} refuses A's token for B`);
    assert.equal(await errorOf(other), 'auth.forbidden');
  }
  const none = await get('/api/stats/top');
  assert.equal(none.status, 401);
  assert.equal(await errorOf(none), 'auth.missing');
  const expired = await get('/api/stats/top', tokens.sign(A, 1000, new Date(Date.now() - 5000)));
  assert.equal(expired.status, 401);
  assert.equal(await errorOf(expired), 'auth.expired');
  const altered = `${tokenA.slice(0, 5)}${tokenA[5] === 'a' ? 'b' : 'a'}${tokenA.slice(6)}`;
  const bad = await get('/api/stats/top', altered);
  assert.equal(bad.status, 401);
  assert.equal(await errorOf(bad), 'auth.invalid');
  const foreign = await get('/api/stats/top', new DashboardTokens('another-secret-0123456789').sign(A));
  assert.equal(foreign.status, 401, 'a token from another secret (another server start) is refused');
  const listing = await get('/api/communities', tokenA);
  assert.equal(listing.status, 403, 'a moderator token cannot list communities');
  const all = log.raw();
  assert.ok(all.length > 0, 'requests were logged');
  for (const secret of [tokenA, altered, env.TEST_MOD_TOKEN, tokenA.split('.')[1]!])
    assert.ok(!all.includes(secret), 'no token in the log');
});

test('the operator token lists every community and reads any', async () => {
  const op = env.TEST_MOD_TOKEN;
  const list = await get('/api/communities', op);
  assert.equal(list.status, 200);
  const communities = ((await list.json()) as { communities: Array<{ communityId: string; mentions: number }> }).communities;
  assert.deepEqual(
    communities.map((c) => [c.communityId, c.mentions]),
    [
      [A, 13],
      [B, 1],
    ],
  );
  const b = await get(`/api/stats/top?community=${encodeURIComponent(B)}`, op);
  assert.deepEqual(((await b.json()) as { top: unknown }).top, { ORG: [{ entity: 'secret org', label: 'Secret Org', count: 1 }] });
  const missing = await get('/api/stats/top', op);
  assert.equal(missing.status, 400, 'the operator names the community');
  const session = (await (await get('/api/dashboard/session', op)).json()) as { operator: boolean };
  assert.equal(session.operator, true);
});

test('series, rising, pairs and breakdown with days, channel and type filters', async () => {
  const tokenA = tokens.sign(A);
  const q = async (path: string) => {
    const res = await get(path, tokenA);
    assert.equal(res.status, 200, path);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const series = (await q('/api/stats/series?days=30&entity=LOC:Paris&entity=taylor%20swift')) as {
    days: string[];
    series: Array<{ label: string; type: string; total: number; counts: number[] }>;
  };
  assert.equal(series.days.length, 30);
  assert.deepEqual(
    series.series.map((s) => [s.label, s.type, s.total, s.counts.at(-1)]),
    [
      ['Paris', 'LOC', 7, 6],
      ['Taylor Swift', 'PER', 6, 6],
    ],
  );
  const week = (await q('/api/stats/breakdown?days=7')) as { sources: Record<string, number>; channels: Array<{ channel: string }> };
  assert.deepEqual(week.sources, { total: 12, text: 6, ocr: 6, caption: 0, unknown: 0 });
  const month = (await q('/api/stats/breakdown?days=30&channel=memes')) as { sources: Record<string, number> };
  assert.equal(month.sources.total, 1);
  const perOnly = (await q('/api/stats/top?days=30&type=PER')) as { top: Record<string, unknown>; types: string[] };
  assert.deepEqual(Object.keys(perOnly.top), ['PER']);
  const pairs = (await q('/api/stats/pairs?days=7')) as { pairs: Array<{ a: { label: string }; b: { label: string }; count: number }> };
  assert.deepEqual(
    pairs.pairs.map((p) => [p.a.label, p.b.label, p.count]),
    [['Paris', 'Taylor Swift', 6]],
  );
  const rising = (await q('/api/stats/rising?days=7&minCount=2')) as { entries: Array<{ label: string; count: number; previous: number }> };
  assert.deepEqual(
    rising.entries.map((e) => [e.label, e.count, e.previous]),
    [
      ['Paris', 6, 0],
      ['Taylor Swift', 6, 0],
    ],
  );
  const today = new Date().toISOString().slice(0, 10);
  const custom = (await q(`/api/stats/top?from=${today}&to=${today}`)) as { window: { first: string; last: string } };
  assert.deepEqual(custom.window, { first: today, last: today });
});

test('bad parameters get a 400 naming the parameter', async () => {
  const tokenA = tokens.sign(A);
  for (const [path, pattern] of [
    ['/api/stats/top?days=0', /days/],
    ['/api/stats/top?days=91', /days/],
    ['/api/stats/top?from=2026-13-01', /from/],
    ['/api/stats/top?from=2026-12-01&to=2026-11-01', /after it ends/],
    ['/api/stats/top?type=per', /type/],
    ['/api/stats/series', /entity/],
    ['/api/stats/rising?minCount=x', /minCount/],
  ] as const) {
    const res = await get(path, tokenA);
    assert.equal(res.status, 400, path);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, pattern, path);
  }
});

test('the page and its assets come from our server, with a CSP that loads nothing from outside', async () => {
  const page = await get('/dashboard');
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  const html = await page.text();
  for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.ok(src[1]!.startsWith('/dashboard/assets/'), `local asset: ${src[1]}`);
  const lib = await get('/dashboard/assets/chartist.js');
  assert.equal(lib.status, 200);
  assert.match(lib.headers.get('content-type') ?? '', /javascript/);
  assert.match(await lib.text(), /BarChart/);
  assert.equal((await get('/dashboard/assets/../../package.json')).status, 404);
});
