// `ekmm serve`: one app (src/app/app.ts: engine, statistics, host) shared by every adapter the
// configuration enables: the web page/API (server.enabled) and the Discord/Telegram bots (when
// their token env vars are set). Runs until SIGINT/SIGTERM, then stops the adapters and closes the app.
import { loadConfig } from '../config/load.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { createApp } from '../app/app.ts';
import { siblingModule } from '../runtime/module-url.ts';
import { createLogger, errorMessage, type Logger } from '../observability/logger.ts';
import { startWebServer, type WebPlugin } from '../../adapters/web/index.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';
import { startDiscordShards } from '../../adapters/discord/shards.ts';

const HELP = `Usage: ekmm serve [--config FILE] [--host HOST] [--port PORT]

Starts the adapters the configuration enables, all sharing one engine:
  web       the page, POST /api/recognize, GET /healthz and GET /api/stats (moderators; token in
            the env var named by server.moderatorTokenEnv) when server.enabled; server.host/port
  discord   when the env var named by discord.tokenEnv (default DISCORD_TOKEN) is set
  telegram  when the env var named by telegram.tokenEnv (default TELEGRAM_BOT_TOKEN) is set
With queue.url (redis://host:port) set, recognition runs on \`ekmm worker\` processes: each message
is enqueued to BullMQ and the answer awaited up to queue.replyTimeoutMs (then a polite failure).
With discord.shards (auto or a number), each Discord gateway shard runs in its own process.
Stops cleanly on SIGINT (Ctrl+C) or SIGTERM.

Options:
  --config FILE   YAML file layered over config/default.yaml
  --host HOST     overrides server.host
  --port PORT     overrides server.port (0 picks a free port)
  --discord-shard (internal) run one Discord shard; discord.js's ShardingManager starts these
  -h, --help      show this help

Example (port 0 picks a free port; the page's URL is printed):
  ekmm serve --port 0
`;

const OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'discord-shard': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Running {
  name: string;
  stop(): Promise<void>;
}

type DiscordModule = typeof import('../../adapters/discord/index.ts');
type TelegramModule = typeof import('../../adapters/telegram/index.ts');

/** Bot adapters load only when their token is set, so a deployment without them needs neither library. */
async function loadAdapter<M>(name: 'discord' | 'telegram'): Promise<M> {
  const url = siblingModule(`../../adapters/${name}/index.ts`, import.meta.url);
  try {
    return (await import(url.href)) as M;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`adapters/${name}/index.`)) {
      throw new Error(`the ${name} adapter is not installed (adapters/${name}/index.ts is missing)`);
    }
    throw err;
  }
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // A second signal while shutting down means "now".
      const force = () => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function stopAll(running: Running[], log: Logger): Promise<void> {
  for (const r of [...running].reverse()) {
    try {
      await r.stop();
      log.info({ component: r.name }, `serve: ${r.name} stopped`);
    } catch (err) {
      log.error({ component: r.name, error: errorMessage(err) }, `serve: ${r.name} did not stop cleanly`);
    }
  }
}

export interface ServeOptions {
  /** Extra web routes and hooks as fastify plugins; see adapters/web/server.ts. */
  webPlugins?: WebPlugin[];
}

export async function serveCommand(args: string[], opts: ServeOptions = {}): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const server: Record<string, unknown> = {};
  if (values.host !== undefined) server.host = values.host;
  const port = integerOption(values.port, '--port', 0, 65535);
  if (port !== undefined) server.port = port;
  const config = loadConfig({ ...(values.config ? { file: values.config } : {}), overrides: { server } });

  const discordToken = process.env[config.discord.tokenEnv];
  const telegramToken = process.env[config.telegram.tokenEnv];
  if (values['discord-shard']) {
    if (!discordToken) throw new UsageError(`--discord-shard needs the bot token in ${config.discord.tokenEnv}`);
    return runDiscordShard(config, discordToken);
  }
  if (!config.server.enabled && !discordToken && !telegramToken) {
    throw new UsageError(
      `nothing to serve: server.enabled is false and neither ${config.discord.tokenEnv} nor ${config.telegram.tokenEnv} is set`,
    );
  }

  // JSON lines on stderr at LOG_LEVEL (default info); an unknown level stops start-up here.
  const log = createLogger({ base: { service: 'ekmm-serve' } });
  const stopping = waitForSignal();
  // One host for every adapter: one queue (guards.concurrency in total), one statistics store.
  const app = await createApp(config, { logger: log });
  const running: Running[] = [{ name: 'statistics', stop: () => app.close() }];
  try {
    if (config.server.enabled) {
      const web = await startWebServer(app.host, config, { backends: app.engine.backends, plugins: opts.webPlugins ?? [] });
      running.push({ name: 'web', stop: () => web.close() });
    }
    if (discordToken && config.discord.shards !== undefined) {
      const shards = await startDiscordShards(config, {
        token: discordToken,
        logger: log,
        ...(values.config ? { configFile: values.config } : {}),
      });
      running.push({ name: 'discord', stop: () => shards.stop() });
      log.info({ shards: shards.count }, `serve: discord adapter started in ${shards.count} shard process(es)`);
    } else if (discordToken) {
      const { startDiscord } = await loadAdapter<DiscordModule>('discord');
      const bot = await startDiscord(app.host, config, { token: discordToken, settingsStore: app.settingsStore });
      running.push({ name: 'discord', stop: () => bot.stop() });
      log.info('serve: discord adapter started');
    }
    if (telegramToken) {
      const { startTelegram } = await loadAdapter<TelegramModule>('telegram');
      const bot = await startTelegram(app.host, config, { token: telegramToken, settingsStore: app.settingsStore });
      running.push({ name: 'telegram', stop: () => bot.stop() });
      log.info('serve: telegram adapter started');
    }
  } catch (err) {
    await stopAll(running, log);
    throw err;
  }
  log.info(
    `serve: running ${running
      .map((r) => r.name)
      .filter((n) => n !== 'statistics')
      .join(', ')}; Ctrl+C to stop`,
  );

  const signal = await stopping;
  log.info({ signal }, `serve: ${signal} received, shutting down`);
  await stopAll(running, log);
  return 0;
}

/** One shard process under ShardingManager: only the Discord adapter (discord.js reads SHARDS/SHARD_COUNT). */
async function runDiscordShard(config: EkmmConfig, token: string): Promise<number> {
  const stopping = Promise.race([
    waitForSignal(),
    // The manager went away (crash, kill -9): a shard without it must not linger.
    new Promise<'disconnect'>((resolve) => process.once('disconnect', () => resolve('disconnect'))),
  ]);
  const log = createLogger({ base: { service: 'ekmm-discord-shard' } });
  const app = await createApp(config, { logger: log });
  const running: Running[] = [{ name: 'statistics', stop: () => app.close() }];
  try {
    const { startDiscord } = await loadAdapter<DiscordModule>('discord');
    const bot = await startDiscord(app.host, config, { token, settingsStore: app.settingsStore });
    running.push({ name: 'discord', stop: () => bot.stop() });
    log.info(`serve: discord shard ${JSON.stringify(bot.client.options.shards)} of ${bot.client.options.shardCount} ready`);
  } catch (err) {
    await stopAll(running, log);
    throw err;
  }
  const why = await stopping;
  log.info(`serve: discord shard stopping (${why})`);
  await stopAll(running, log);
  return 0;
}
