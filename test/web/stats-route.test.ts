import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats, type OpenedStats } from '../../src/stats/open.ts';
import { startWebServer, type WebServer } from '../../adapters/web/index.ts';
import { Host } from '../../src/host/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const config = loadConfig({
  skipDefaultFile: true,
  env: {},
  overrides: { stats: { url: 'memory://' }, server: { moderatorTokenEnv: 'TEST_MOD_TOKEN' } },
});
const env = { TEST_MOD_TOKEN: 'mod-secret-1' };
let opened: OpenedStats;
let web: WebServer;

before(async () => {
  opened = await openEntityStats(config);
  await opened.stats.record({
    communityId: 'guild-1',
    channelId: 'general',
    entities: [
      { text: 'Barack Obama', type: 'PER' },
      { text: 'Paris', type: 'LOC' },
    ],
  });
  await opened.stats.record({ communityId: 'guild-2', channelId: 'general', entities: [{ text: 'Secret Org', type: 'ORG' }] });
  // The web adapter needs a host; these requests never reach its executor.
  const executor = { kind: 'unused', recognize: () => Promise.reject(new Error('not used by /api/stats')) };
  const host = new Host({ config, executor, stats: opened.stats });
  web = await startWebServer(host, config, { port: 0, env, logger: silentLogger() });
});
after(async () => {
  await web.close();
  await opened.close();
});

const get = (path: string, token?: string) => fetch(`${web.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

test('refuses requests without or with a wrong moderator token', async () => {
  const none = await get('/api/stats?community=guild-1');
  assert.equal(none.status, 401);
  const wrong = await get('/api/stats?community=guild-1', 'guess');
  assert.equal(wrong.status, 403);
  const body = (await wrong.json()) as { error: { code: string } };
  assert.equal(body.error.code, 'auth.refused');
});

test('JSON and CSV exports hold only the requested community', async () => {
  const json = await get('/api/stats?community=guild-1&format=json', 'mod-secret-1');
  assert.equal(json.status, 200);
  const data = (await json.json()) as { community: string; rows: { entity: string; type: string; count: number }[] };
  assert.equal(data.community, 'guild-1');
  assert.deepEqual(data.rows.map((r) => `${r.type}:${r.entity}=${r.count}`).sort(), ['LOC:paris=1', 'PER:barack obama=1']);
  const csv = await get('/api/stats?community=guild-1&format=csv', 'mod-secret-1');
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  const text = await csv.text();
  assert.match(text, /^day,channel,type,entity,count\r\n/);
  assert.match(text, /,general,PER,barack obama,1\r\n/);
  assert.doesNotMatch(text, /secret org/);
  const top = await get('/api/stats?community=guild-1&top=1&days=7', 'mod-secret-1');
  assert.deepEqual(((await top.json()) as { top: unknown }).top, {
    LOC: [{ entity: 'paris', label: 'Paris', count: 1 }],
    PER: [{ entity: 'barack obama', label: 'Barack Obama', count: 1 }],
  });
});

test('bad queries name the parameter', async () => {
  const missing = await get('/api/stats', 'mod-secret-1');
  assert.equal(missing.status, 400);
  assert.match(((await missing.json()) as { error: { message: string } }).error.message, /community/);
  const fmt = await get('/api/stats?community=g&format=xml', 'mod-secret-1');
  assert.equal(fmt.status, 400);
  const days = await get('/api/stats?community=g&days=-3', 'mod-secret-1');
  assert.equal(days.status, 400);
});
