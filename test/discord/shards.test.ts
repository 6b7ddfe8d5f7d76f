// discord.shards: serve runs discord.js's ShardingManager, one process per gateway shard, each
// enqueueing to BullMQ (queue.url) for an `ekmm worker`. Against the Discord emulator, which
// routes each guild's events to the shard that owns it ((guild_id >> 22) % shard_count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { recommendedShardCount } from '../../adapters/discord/shards.ts';
import { DiscordEmulator, shardOfGuild, type DcUser } from '../support/discord-emulator.ts';
import { startEkmm } from '../support/processes.ts';
import { startRedis } from '../support/redis.ts';

const CHANNEL_OPTION = 7;
const guilds = [
  { id: '700000000004194305', name: 'Shard Zero', channels: [{ id: '710000000000000011', name: 'general' }] },
  { id: '700000000008388609', name: 'Shard One', channels: [{ id: '710000000000000021', name: 'general' }] },
];
const member: DcUser = { id: '800000000000000011', username: 'member' };
const mod: DcUser = { id: '800000000000000012', username: 'mod' };

test('the emulator puts the two test guilds on different shards', () => {
  assert.deepEqual(
    guilds.map((g) => shardOfGuild(g.id, 2)),
    [0, 1],
  );
});

test('discord.shards: auto asks GET /gateway/bot through discord.apiBase', async () => {
  const emu = await DiscordEmulator.start();
  try {
    emu.recommendedShards = 3;
    const config = loadConfig({ env: {}, overrides: { discord: { apiBase: emu.apiBase, shards: 'auto' } } });
    assert.equal(await recommendedShardCount(config, emu.token), 3);
  } finally {
    await emu.close();
  }
});

test('discord.shards: auto runs one process per shard; each answers its own guilds through the queue', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const emu = await DiscordEmulator.start();
  for (const g of guilds) emu.addGuild(g);
  emu.recommendedShards = 2;
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-shards-'));
  const env = {
    DISCORD_TOKEN: emu.token,
    EKMM__DISCORD__APIBASE: emu.apiBase,
    EKMM__DISCORD__SHARDS: 'auto',
    EKMM__DISCORD__SHARDSPAWNDELAYMS: '100',
    EKMM__SERVER__ENABLED: 'false',
    EKMM__QUEUE__URL: redis.url,
    EKMM__QUEUE__NAME: `shards-${process.pid}`,
    EKMM__STATS__URL: `sqlite://${join(dir, 'stats.sqlite')}`,
    EKMM__CACHE__ENABLED: 'false',
    EKMM__OCR__BACKEND: 'none',
    EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
    EKMM__RECOGNIZER__FALLBACK: 'none',
    EKMM__RECOGNIZER__GAZETTEER__ENTRIES: '{PER: [Angela Merkel], LOC: [Paris, Berlin]}',
  };
  const worker = startEkmm('worker', ['worker'], env);
  const serve = startEkmm('serve', ['serve'], env);
  try {
    await Promise.all([worker.waitFor(/worker: ready/), serve.waitFor(/discord adapter started in 2 shard process\(es\)/, 90_000)]);
    assert.deepEqual(emu.identifies.map((i) => i.shard.join('/')).sort(), ['0/2', '1/2'], 'one IDENTIFY per shard');
    assert.equal(emu.connectedSessions(), 2);

    for (const g of guilds) {
      const channel = g.channels[0]!.id;
      const cfg = emu.slashCommand({
        guildId: g.id,
        channelId: channel,
        user: mod,
        name: 'ekmm-config',
        options: [{ name: 'enable', type: CHANNEL_OPTION, value: channel }],
        manageGuild: true,
      });
      assert.match(await emu.waitForInteractionText(cfg, 30_000), /channels: <#\d+>/);
    }
    const ids = guilds.map((g, i) =>
      emu.postMessage({
        guildId: g.id,
        channelId: g.channels[0]!.id,
        author: member,
        content: i === 0 ? 'Angela Merkel in Paris' : 'Berlin',
        mentionBot: true,
      }),
    );
    const replies = await Promise.all(ids.map((id) => emu.waitForReply(id, 30_000)));
    assert.match(replies[0]!.content, /Angela Merkel/);
    assert.match(replies[0]!.content, /Paris/);
    assert.match(replies[1]!.content, /Berlin/);
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
    assert.match(serve.stderr(), /discord stopped/);
    await worker.stop();
    assert.match(worker.stderr(), /stopped after 2 completed and 0 failed/, 'both shards enqueued to the one worker');
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
