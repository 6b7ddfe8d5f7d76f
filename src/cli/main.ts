// `ekmm <command>`: dispatches to the subcommands. Every command returns an exit code:
// 0 done, 1 done but an input named on the command line could not be used (or a run-time
// failure), 2 bad usage or bad configuration.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, projectPath } from '../config/load.ts';
import { InputError, UsageError } from './args.ts';
import { siblingModule } from '../runtime/module-url.ts';

interface Command {
  summary: string;
  /** Module under src/cli/ and its exported function; loaded only when the command runs. */
  module: string;
  exportName: string;
}

const COMMANDS: Record<string, Command> = {
  recognize: {
    summary: 'recognize entities in a text and images, print the result',
    module: './recognize.ts',
    exportName: 'recognizeCommand',
  },
  serve: {
    summary: 'run the web page/API and the Discord/Telegram bots the config enables',
    module: './serve.ts',
    exportName: 'serveCommand',
  },
  data: { summary: 'prepare and inspect datasets', module: './data.ts', exportName: 'dataCommand' },
  eval: { summary: 'evaluate recognizers on a labelled dataset', module: './eval.ts', exportName: 'evalCommand' },
  tag: { summary: 'tag a file of messages in bulk', module: './tag.ts', exportName: 'tagCommand' },
  stats: { summary: "print a community's entity statistics as CSV or JSON (moderators)", module: './stats.ts', exportName: 'statsCommand' },
  export: { summary: 'export a labelled split as fine-tuning data (xtuner)', module: './export.ts', exportName: 'exportCommand' },
  experiment: {
    summary: 'run the arms of an experiment plan over a dataset split, report F1 with CIs',
    module: './experiment.ts',
    exportName: 'experimentCommand',
  },
  examples: { summary: 'build and measure a multimodal similar-example index', module: './examples.ts', exportName: 'examplesCommand' },
  worker: { summary: 'process recognition jobs from the BullMQ queue (queue.url)', module: './worker.ts', exportName: 'workerCommand' },
  queue: {
    summary: 'list or retry failed recognition jobs (queue failed | queue retry)',
    module: './queue.ts',
    exportName: 'queueCommand',
  },
};

const HELP = `Usage: ekmm <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run "ekmm <command> --help" for the options of a command; "ekmm --version" prints the version.
Configuration: config/default.yaml, then --config FILE (or EKMM_CONFIG), then EKMM__SECTION__KEY env vars.
A .env file in the working directory is loaded first when present.
Exit codes: 0 done, 1 an input named on the command line could not be used, 2 bad usage or configuration.

Example:
  ekmm recognize --text "Barack Obama meets Angela Merkel in Berlin" --image examples/poster.png
`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/**
 * Loads .env from the working directory (Node's own parser). Variables already set in the
 * environment win, so a .env never overrides what the caller exported.
 */
export function loadDotEnv(cwd = process.cwd()): string | undefined {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return undefined;
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new ConfigError(`${file} could not be read as a .env file: ${(err as Error).message}`);
  }
  return file;
}

type CommandFn = (args: string[]) => Promise<number>;

async function loadCommand(name: string, command: Command): Promise<CommandFn> {
  const url = siblingModule(command.module, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Only the command module itself being absent means "not available"; a missing import
    // deeper inside it is a real error and is reported as such.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(url.pathname.split('/').pop()!)) {
      throw new Error(`the "${name}" command is not available in this installation (src/cli/${command.module.slice(2)} is missing)`);
    }
    throw err;
  }
  const fn = mod[command.exportName];
  if (typeof fn !== 'function') {
    throw new Error(`src/cli/${command.module.slice(2)} does not export ${command.exportName}(args); the "${name}" command cannot run`);
  }
  return fn as CommandFn;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`ekmm ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const hint = name.startsWith('-') ? `unknown option "${name}"` : `unknown command "${name}"`;
    process.stderr.write(`ekmm: ${hint}\n\n${HELP}`);
    return 2;
  }
  try {
    loadDotEnv();
    const run = await loadCommand(name, command);
    return await run(rest);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`ekmm ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`ekmm ${name}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`ekmm ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.EKMM_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
