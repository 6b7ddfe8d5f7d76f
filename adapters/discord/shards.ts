// Discord gateway sharding with discord.js's ShardingManager: when discord.shards is `auto` or a
// number, serve starts one child process per shard (`ekmm serve --discord-shard`, the same
// config) and each runs the Discord adapter for the guilds on its shard. With queue.url they
// all enqueue recognition to BullMQ; otherwise each shard recognizes in its own process.
import { once } from 'node:events';
import { REST, Routes, ShardingManager, type Shard } from 'discord.js';
import type { EkmmConfig } from '../../src/config/schema.ts';
import { projectPath } from '../../src/config/load.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';

export interface DiscordShards {
  readonly count: number;
  readonly manager: ShardingManager;
  stop(): Promise<void>;
}

export interface DiscordShardOptions {
  token: string;
  /** The --config file serve was started with, passed on to every shard process. */
  configFile?: string;
  logger?: Logger;
  /** How long one shard may take to connect before start-up fails (ms). */
  readyTimeoutMs?: number;
}

// Through projectPath so that the compiled runtime (dist/) finds the same entry point.
const CLI = projectPath('bin/ekmm.js');

/**
 * Discord's recommended shard count (GET /gateway/bot). discord.js's own fetchRecommendedShardCount
 * always asks discord.com, so `auto` asks through REST with discord.apiBase, which an emulator can answer.
 */
export async function recommendedShardCount(config: EkmmConfig, token: string): Promise<number> {
  const rest = new REST({ ...(config.discord.apiBase ? { api: config.discord.apiBase } : {}) }).setToken(token);
  const body = (await rest.get(Routes.gatewayBot())) as { shards?: unknown };
  if (typeof body.shards !== 'number' || !Number.isInteger(body.shards) || body.shards < 1) {
    throw new Error(`GET /gateway/bot returned no usable shard count (${JSON.stringify(body.shards)})`);
  }
  return body.shards;
}

export async function startDiscordShards(config: EkmmConfig, opts: DiscordShardOptions): Promise<DiscordShards> {
  const log = (opts.logger ?? createLogger()).child({ adapter: 'discord' });
  const setting = config.discord.shards;
  if (setting === undefined) throw new Error('discord.shards is not set; serve runs one Discord client in-process');
  const count = setting === 'auto' ? await recommendedShardCount(config, opts.token) : setting;
  const manager = new ShardingManager(CLI, {
    totalShards: count,
    token: opts.token,
    mode: 'process',
    shardArgs: ['serve', '--discord-shard', ...(opts.configFile ? ['--config', opts.configFile] : [])],
    // A shard that dies is started again by the manager.
    respawn: true,
  });
  manager.on('shardCreate', (shard: Shard) => {
    log.info({ shard: shard.id, shards: count }, `discord: shard ${shard.id}/${count} process starting`);
    shard.on('death', () => log.warn({ shard: shard.id }, `discord: shard ${shard.id} process exited; the manager restarts it`));
  });
  const stop = async (): Promise<void> => {
    await Promise.all(
      [...manager.shards.values()].map(async (shard) => {
        const child = shard.process;
        if (!child || child.exitCode !== null) return;
        const exited = once(child, 'exit');
        shard.kill(); // SIGTERM: the shard stops its client and closes its stores
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };
  try {
    await manager.spawn({ amount: count, delay: config.discord.shardSpawnDelayMs, timeout: opts.readyTimeoutMs ?? 60_000 });
  } catch (err) {
    await stop();
    throw new Error(`discord shards did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { count, manager, stop };
}
