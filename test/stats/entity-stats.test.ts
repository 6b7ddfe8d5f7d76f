import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { normalizeEntityText } from '../../src/stats/normalize.ts';
import { rowsToCsv } from '../../src/stats/export.ts';

const dir = mkdtempSync(join(tmpdir(), 'ekmm-stats-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFor(file: string, retentionDays = 90) {
  return loadConfig({ skipDefaultFile: true, env: {}, overrides: { stats: { url: `sqlite://${join(dir, file)}`, retentionDays } } });
}

test('normalization: NFKC, case folding, collapsed whitespace', () => {
  assert.equal(normalizeEntityText('  Barack\t\n OBAMA '), 'barack obama');
  assert.equal(normalizeEntityText('Ｐａｒｉｓ'), 'paris'); // full-width letters fold under NFKC
  assert.equal(normalizeEntityText('Straße'), normalizeEntityText('STRASSE'));
  assert.equal(normalizeEntityText('ﬁat'), 'fiat');
  assert.equal(normalizeEntityText('北京'), '北京');
});

test('counts per day and channel, top-N by type, and they survive reopening the sqlite file', async () => {
  const config = configFor('restart.sqlite');
  const at = new Date('2026-03-10T12:00:00Z');
  let opened = await openEntityStats(config, { now: () => at });
  await opened.stats.record({ communityId: 'g1', channelId: 'c1', entities: [{ text: 'Barack Obama', type: 'PER' }, { text: 'Paris', type: 'LOC' }] });
  await opened.stats.record({ communityId: 'g1', channelId: 'c2', entities: [{ text: 'barack  obama', type: 'PER' }, { text: 'Angela Merkel', type: 'PER' }] });
  await opened.stats.record({ communityId: 'g1', channelId: 'c1', entities: [{ text: 'BARACK OBAMA', type: 'PER' }], at: new Date('2026-03-09T08:00:00Z') });
  await opened.close();

  opened = await openEntityStats(config, { now: () => at });
  const top = await opened.stats.top({ communityId: 'g1', days: 7 });
  assert.deepEqual(top.PER, [{ entity: 'barack obama', count: 3 }, { entity: 'angela merkel', count: 1 }]);
  assert.deepEqual(top.LOC, [{ entity: 'paris', count: 1 }]);
  const c1 = await opened.stats.top({ communityId: 'g1', days: 7, channelId: 'c1' });
  assert.deepEqual(c1.PER, [{ entity: 'barack obama', count: 2 }]);
  const today = await opened.stats.top({ communityId: 'g1', days: 1 });
  assert.deepEqual(today.PER, [{ entity: 'barack obama', count: 2 }, { entity: 'angela merkel', count: 1 }]);
  const rows = await opened.stats.rows({ communityId: 'g1' });
  assert.deepEqual(rows.map((r) => `${r.day}/${r.channel}/${r.type}/${r.entity}=${r.count}`), [
    '2026-03-09/c1/PER/barack obama=1',
    '2026-03-10/c1/LOC/paris=1',
    '2026-03-10/c1/PER/barack obama=1',
    '2026-03-10/c2/PER/angela merkel=1',
    '2026-03-10/c2/PER/barack obama=1',
  ]);
  await opened.close();
});

test('no leakage between communities, even with ids that look like key prefixes', async () => {
  const opened = await openEntityStats(configFor('isolation.sqlite'));
  const ids = ['1', '12', 'a', 'a:b', 'a:2026-01-01:x', 'a%3Ab'];
  for (const [i, id] of ids.entries()) {
    await opened.stats.record({ communityId: id, channelId: 'x', entities: [{ text: `Name ${i}`, type: 'PER' }] });
  }
  for (const [i, id] of ids.entries()) {
    const rows = await opened.stats.rows({ communityId: id });
    assert.deepEqual(rows.map((r) => r.entity), [`name ${i}`], `community ${id} sees only its own counts`);
  }
  await assert.rejects(opened.stats.record({ communityId: '', entities: [{ text: 'X', type: 'PER' }] }), /community id/);
  await opened.close();
});

test('retention: days older than the window are pruned and never reported', async () => {
  let now = new Date('2026-01-01T10:00:00Z');
  const opened = await openEntityStats(configFor('retention.sqlite', 3), { now: () => now });
  await opened.stats.record({ communityId: 'g', entities: [{ text: 'Old', type: 'ORG' }] });
  now = new Date('2026-01-03T10:00:00Z');
  await opened.stats.record({ communityId: 'g', entities: [{ text: 'Mid', type: 'ORG' }] });
  assert.equal(await opened.stats.total('g'), 2);
  now = new Date('2026-01-04T10:00:00Z'); // window is Jan 2..4: Jan 1 falls out
  assert.deepEqual((await opened.stats.rows({ communityId: 'g' })).map((r) => r.entity), ['mid']);
  await opened.stats.record({ communityId: 'g', entities: [{ text: 'New', type: 'ORG' }] }); // first write of the day prunes
  now = new Date('2026-01-01T10:00:00Z');
  assert.deepEqual((await opened.stats.rows({ communityId: 'g', days: 3 })).map((r) => r.entity), [], 'the old day was deleted');
  await opened.close();
});

test('concurrent increments lose nothing', async () => {
  const opened = await openEntityStats(configFor('concurrency.sqlite'));
  const tasks = Array.from({ length: 400 }, (_, i) =>
    opened.stats.record({ communityId: 'busy', channelId: `c${i % 3}`, entities: [{ text: 'Paris', type: 'LOC' }, { text: `P${i % 5}`, type: 'PER' }] }),
  );
  await Promise.all(tasks);
  assert.equal(await opened.stats.total('busy'), 800);
  assert.deepEqual((await opened.stats.top({ communityId: 'busy' })).LOC, [{ entity: 'paris', count: 400 }]);
  await opened.close();
});

test('CSV export quotes separators and defuses spreadsheet formulas', () => {
  const csv = rowsToCsv([
    { day: '2026-01-01', channel: 'c,1', type: 'ORG', entity: 'say "hi"', count: 2 },
    { day: '2026-01-01', channel: 'c', type: 'OTHER', entity: '=HYPERLINK("x")', count: 1 },
  ]);
  assert.equal(csv, 'day,channel,type,entity,count\r\n2026-01-01,"c,1",ORG,"say ""hi""",2\r\n2026-01-01,c,OTHER,"\'=HYPERLINK(""x"")",1\r\n');
});
