// The statistics store across processes and versions: three processes on one SQLite file, and
// the upgrade from the v1 layout (keyv buckets) with no count lost or doubled.
import { test, after } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { openStore } from '../../src/store/open.ts';
import { isIterableStore } from '../../src/core/stages.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'ekmm-stats-upgrade-'));
let redis: RedisServer | undefined;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await redis?.stop();
});

function configFor(url: string) {
  return loadConfig({ skipDefaultFile: true, env: {}, overrides: { stats: { url, retentionDays: 90 } } });
}

function runChild(url: string, name: string, unique: number, shared: number): Promise<{ counted: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'test/stats/fixtures/increment.ts'), url, name, String(unique), String(shared)],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as { counted: number }) : reject(new Error(`child ${name} exited ${code}: ${err}`)),
    );
  });
}

test('three processes increment one SQLite stats file at once: exact counts, shared message ids counted once', async () => {
  const url = `sqlite://${join(dir, 'shared.sqlite')}`;
  const unique = 300;
  const shared = 100;
  const results = await Promise.all(['p1', 'p2', 'p3'].map((name) => runChild(url, name, unique, shared)));
  const opened = await openEntityStats(configFor(url));
  try {
    const top = await opened.stats.top({ communityId: 'discord:g', limit: 20 });
    assert.deepEqual(top.LOC, [{ entity: 'paris', label: 'Paris', count: 3 * unique }]);
    assert.equal(
      top.PER?.reduce((s, e) => s + e.count, 0),
      3 * unique,
    );
    assert.deepEqual(top.ORG, [{ entity: 'shared', label: 'Shared', count: shared }], 'each shared id counted by exactly one process');
    assert.equal(await opened.stats.total('discord:g'), 6 * unique + shared);
    // What the processes said they counted adds up to what the store holds.
    assert.equal(
      results.reduce((s, r) => s + r.counted, 0),
      6 * unique + shared,
    );
    const mix = await opened.stats.breakdown({ communityId: 'discord:g' });
    assert.deepEqual(mix.sources, { total: 6 * unique + shared, text: 3 * unique + shared, ocr: 3 * unique, caption: 0, unknown: 0 });
  } finally {
    await opened.close();
  }
});

/** Writes statistics exactly as v1 did: keyv records stats:v1:<community>:<day>:<channel> = { counts }. */
async function seedV1(url: string): Promise<void> {
  const store = await openStore(url);
  const enc = encodeURIComponent;
  const ttl = 30 * 86_400_000;
  await store.set(`stats:v1:${enc('discord:g1')}:2026-11-30:${enc('c1')}`, { counts: { 'PER\tbarack obama': 5, 'LOC\tparis': 2 } }, ttl);
  await store.set(`stats:v1:${enc('discord:g1')}:2026-12-01:${enc('c2')}`, { counts: { 'PER\tbarack obama': 1 } }, ttl);
  await store.set(`stats:v1:${enc('telegram:-100')}:2026-12-01:`, { counts: { 'ORG\tnasa': 4 } }, ttl);
  await store.set('discord:guild:g1', { mode: 'auto' }); // a guild setting beside the counts
  await store.close();
}

async function checkUpgraded(url: string): Promise<void> {
  const now = () => new Date('2026-12-01T12:00:00Z');
  for (let round = 0; round < 2; round++) {
    const opened = await openEntityStats(configFor(url), { now });
    try {
      const rows = await opened.stats.rows({ communityId: 'discord:g1' });
      assert.deepEqual(
        rows.map((r) => `${r.day}/${r.channel}/${r.type}/${r.entity}=${r.count}`),
        ['2026-11-30/c1/LOC/paris=2', '2026-11-30/c1/PER/barack obama=5', `2026-12-01/c2/PER/barack obama=${round === 0 ? 1 : 2}`],
        `round ${round}: counts moved once, not again on the next start`,
      );
      assert.equal(await opened.stats.total('telegram:-100'), 4);
      const mix = await opened.stats.breakdown({ communityId: 'discord:g1' });
      assert.deepEqual(mix.sources, { total: 8 + round, text: round, ocr: 0, caption: 0, unknown: 8 }, 'v1 kept no source');
      assert.deepEqual(await opened.store.get('discord:guild:g1'), { mode: 'auto' }, 'settings stay');
      assert.ok(isIterableStore(opened.store));
      const left: string[] = [];
      for await (const [k] of opened.store.iterate('stats:v1:')) left.push(k);
      assert.deepEqual(left, [], 'v1 buckets are gone');
      if (round === 0) {
        assert.deepEqual((await opened.stats.top({ communityId: 'discord:g1' })).PER, [
          { entity: 'barack obama', label: 'barack obama', count: 6 },
        ]);
        // New counts add to the migrated ones, and bring a surface form.
        await opened.stats.record({ communityId: 'discord:g1', channelId: 'c2', entities: [{ text: 'Barack Obama', type: 'PER' }] });
      }
      const top = await opened.stats.top({ communityId: 'discord:g1' });
      assert.deepEqual(top.PER, [{ entity: 'barack obama', label: 'Barack Obama', count: 7 }]);
    } finally {
      await opened.close();
    }
  }
}

test('upgrade from the v1 layout in SQLite: every count moved once, settings kept', async () => {
  const url = `sqlite://${join(dir, 'v1.sqlite')}`;
  await seedV1(url);
  await checkUpgraded(url);
});

test('upgrade from the v1 layout in Redis: every count moved once, settings kept', async (t: TestContext) => {
  redis = await startRedis(t, { stopAfterTest: false });
  if (!redis) return;
  await seedV1(redis.url);
  await checkUpgraded(redis.url);
});

test('upgrade refuses a damaged v1 record and names it', async () => {
  const url = `sqlite://${join(dir, 'broken.sqlite')}`;
  const store = await openStore(url);
  await store.set('stats:v1:g:2026-12-01:c', { totals: 3 });
  await store.close();
  await assert.rejects(openEntityStats(configFor(url)), /record "stats:v1:g:2026-12-01:c" is not a v1 statistics bucket/);
});
