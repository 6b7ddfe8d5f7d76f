import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';

const BIN = join(import.meta.dirname, '../../bin/ekmm.js');

function ekmm(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, 'stats', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

test('ekmm stats prints a community\'s counts from the bots\' store as CSV and JSON, and no other community', async () => {
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
  assert.ok(lines.some((l) => /,42,PER,barack obama,2$/.test(l)), csv.stdout);
  assert.ok(lines.some((l) => l.includes(",LOC,'=paris,1")), 'formula-looking cells are neutralised');
  assert.ok(!csv.stdout.includes('secret'), 'another community never leaks in');

  const json = ekmm(['--community', 'telegram:42', '--format', 'json'], env);
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { community: string; rows: Array<{ entity: string; count: number }> };
  assert.equal(parsed.community, 'telegram:42');
  assert.deepEqual(parsed.rows.map((r) => [r.entity, r.count]).sort(), [['=paris', 1], ['barack obama', 2]]);

  const bad = ekmm(['--community', 'telegram:42', '--format', 'xml'], env);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format must be csv or json/);
});
