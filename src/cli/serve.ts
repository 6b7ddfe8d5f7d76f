// `ekmm serve`: one engine shared by every adapter the configuration enables: the web page/API
// (server.enabled) and the Discord/Telegram bots (when their token env vars are set). Runs until
// SIGINT/SIGTERM, then stops the adapters and closes the engine.
import { loadConfig } from '../config/load.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { createEngine, type Engine } from '../core/engine.ts';
import { startWebServer, type WebRoute } from '../../adapters/web/index.ts';
import { parseCommandArgs, UsageError } from './args.ts';

const HELP = `Usage: ekmm serve [--config FILE] [--host HOST] [--port PORT]

Starts the adapters the configuration enables, all sharing one engine:
  web       the page and POST /api/recognize, GET /healthz (server.enabled; server.host/port)
  discord   when the env var named by discord.tokenEnv (default DISCORD_TOKEN) is set
  telegram  when the env var named by telegram.tokenEnv (default TELEGRAM_BOT_TOKEN) is set
Stops cleanly on SIGINT (Ctrl+C) or SIGTERM.

Options:
  --config FILE   YAML file layered over config/default.yaml
  --host HOST     overrides server.host
  --port PORT     overrides server.port (0 picks a free port)
  -h, --help      show this help
`;

const OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Running {
  name: string;
  stop(): Promise<void>;
}

type BotStarter = (engine: Engine, config: EkmmConfig) => Promise<{ stop(): Promise<void> }>;

const log = (line: string) => process.stderr.write(`${line}\n`);

async function loadBot(name: 'discord' | 'telegram', exportName: string): Promise<BotStarter> {
  const url = new URL(`../../adapters/${name}/index.ts`, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`adapters/${name}/index.ts`)) {
      throw new Error(`the ${name} adapter is not installed (adapters/${name}/index.ts is missing)`);
    }
    throw err;
  }
  const start = mod[exportName];
  if (typeof start !== 'function') throw new Error(`adapters/${name}/index.ts does not export ${exportName}(engine, config)`);
  return start as BotStarter;
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

async function stopAll(running: Running[]): Promise<void> {
  for (const r of [...running].reverse()) {
    try {
      await r.stop();
      log(`serve: ${r.name} stopped`);
    } catch (err) {
      log(`serve: ${r.name} did not stop cleanly: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export interface ServeOptions {
  /** Extra web routes, e.g. GET /api/stats; see adapters/web/server.ts. */
  routes?: WebRoute[];
}

export async function serveCommand(args: string[], opts: ServeOptions = {}): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const server: Record<string, unknown> = {};
  if (values.host !== undefined) server.host = values.host;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0-65535; got "${values.port}"`);
    server.port = port;
  }
  const config = loadConfig({ ...(values.config ? { file: values.config } : {}), overrides: { server } });

  const discordToken = process.env[config.discord.tokenEnv];
  const telegramToken = process.env[config.telegram.tokenEnv];
  if (!config.server.enabled && !discordToken && !telegramToken) {
    throw new UsageError(
      `nothing to serve: server.enabled is false and neither ${config.discord.tokenEnv} nor ${config.telegram.tokenEnv} is set`,
    );
  }

  const stopping = waitForSignal();
  const engine = await createEngine(config);
  const running: Running[] = [];
  try {
    if (config.server.enabled) {
      const web = await startWebServer(engine, config, { log, ...(opts.routes ? { routes: opts.routes } : {}) });
      running.push({ name: 'web', stop: () => web.close() });
    }
    if (discordToken) {
      const bot = await (await loadBot('discord', 'startDiscord'))(engine, config);
      running.push({ name: 'discord', stop: () => bot.stop() });
      log('serve: discord adapter started');
    }
    if (telegramToken) {
      const bot = await (await loadBot('telegram', 'startTelegram'))(engine, config);
      running.push({ name: 'telegram', stop: () => bot.stop() });
      log('serve: telegram adapter started');
    }
  } catch (err) {
    await stopAll(running);
    await engine.close();
    throw err;
  }
  log(`serve: running ${running.map((r) => r.name).join(', ')}; Ctrl+C to stop`);

  const signal = await stopping;
  log(`serve: ${signal} received, shutting down`);
  await stopAll(running);
  await engine.close();
  return 0;
}
