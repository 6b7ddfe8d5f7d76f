import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { entityEntry, WatchStore, watchKeys } from '../../src/watch/index.ts';

const BIN = join(import.meta.dirname, '../../bin/ekmm.js');

function ekmm(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, 'stats', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

test("ekmm stats prints a community's counts from the bots' store as CSV and JSON, and no other community", async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ekmm-stats-cli-')), 'stats.sqlite');
  const env = { EKMM__STATS__URL: `sqlite://${file}` };
  const opened = await openEntityStats(loadConfig({ env }));
  const entities = [
    { text: 'Barack Obama', type: 'PER' },
    { text: 'barack  obama', type: 'PER' },
    { text: '=Paris', type: 'LOC' },
  ];
  await opened.stats.record({ communityId: 'telegram:42', channelId: '42', entities });
  await opened.stats.record({ communityId: 'telegram:43', channelId: '43', entities: [{ text: 'Secret Org', type: 'ORG' }] });
  await opened.close();

  const csv = ekmm(['--community', 'telegram:42'], env);
  assert.equal(csv.status, 0, csv.stderr);
  const lines = csv.stdout.trim().split(/\r\n/);
  assert.equal(lines[0], 'day,channel,type,entity,count');
  assert.ok(
    lines.some((l) => /,42,PER,barack obama,2$/.test(l)),
    csv.stdout,
  );
  assert.ok(
    lines.some((l) => l.includes(",LOC,'=paris,1")),
    'formula-looking cells are neutralised',
  );
  assert.ok(!csv.stdout.includes('secret'), 'another community never leaks in');

  const json = ekmm(['--community', 'telegram:42', '--format', 'json'], env);
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { community: string; rows: Array<{ entity: string; count: number }> };
  assert.equal(parsed.community, 'telegram:42');
  assert.deepEqual(parsed.rows.map((r) => [r.entity, r.count]).sort(), [
    ['=paris', 1],
    ['barack obama', 2],
  ]);

  const bad = ekmm(['--community', 'telegram:42', '--format', 'xml'], env);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format must be csv or json/);
});

test('ekmm stats --delete removes one community (statistics and guild settings), only with --yes', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ekmm-stats-del-')), 'stats.sqlite');
  const env = { EKMM__STATS__URL: `sqlite://${file}` };
  let opened = await openEntityStats(loadConfig({ env }));
  await opened.stats.record({ communityId: 'discord:77', channelId: '1', entities: [{ text: 'Paris', type: 'LOC' }] });
  await opened.stats.record({ communityId: 'discord:78', channelId: '1', entities: [{ text: 'Berlin', type: 'LOC' }] });
  await opened.store.set('discord:guild:v1:77', { mode: 'auto', channels: ['1'], language: 'en' });
  await opened.store.set('discord:guild:v1:78', { mode: 'auto', channels: ['1'], language: 'en' });
  // Watchlists and an alert window for both: only 77's go.
  for (const c of ['discord:77', 'discord:78']) {
    await new WatchStore(opened.store).add(c, entityEntry('Paris'));
    await opened.store.set(watchKeys.sent(c, 'LOC\tparis'), Date.now(), 600_000);
  }
  await opened.close();

  const refused = ekmm(['--delete', '--community', 'discord:77'], env);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /add --yes to confirm/);

  const done = ekmm(['--delete', '--community', 'discord:77', '--yes'], env);
  assert.equal(done.status, 0, done.stderr);
  assert.match(done.stdout, /deleted discord:77: [1-9]\d* statistics records?, 1 settings record, 2 watchlist records/);

  opened = await openEntityStats(loadConfig({ env }));
  try {
    assert.equal(await opened.stats.total('discord:77'), 0);
    assert.equal(await opened.store.get('discord:guild:v1:77'), undefined);
    assert.equal(await opened.stats.total('discord:78'), 1, 'the other community is untouched');
    assert.notEqual(await opened.store.get('discord:guild:v1:78'), undefined);
    assert.equal(await opened.store.get(watchKeys.list('discord:77')), undefined, 'the watchlist went');
    assert.equal(await opened.store.get(watchKeys.sent('discord:77', 'LOC\tparis')), undefined, 'the alert window went');
    assert.equal((await new WatchStore(opened.store).entries('discord:78')).length, 1, "the other community's watchlist stays");
  } finally {
    await opened.close();
  }
});
