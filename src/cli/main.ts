// `ekmm <command>`: dispatches to the subcommands. Every command returns an exit code:
// 0 success, 1 failure at run time, 2 bad usage or bad configuration.
import { ConfigError } from '../config/load.ts';
import { UsageError } from './args.ts';

interface Command {
  summary: string;
  /** Module under src/cli/ and its exported function; loaded only when the command runs. */
  module: string;
  exportName: string;
}

const COMMANDS: Record<string, Command> = {
  recognize: { summary: 'recognize entities in a text and images, print the result', module: './recognize.ts', exportName: 'recognizeCommand' },
  serve: { summary: 'run the web page/API and the Discord/Telegram bots the config enables', module: './serve.ts', exportName: 'serveCommand' },
  data: { summary: 'prepare and inspect datasets', module: './data.ts', exportName: 'dataCommand' },
  eval: { summary: 'evaluate recognizers on a labelled dataset', module: './eval.ts', exportName: 'evalCommand' },
  tag: { summary: 'tag a file of messages in bulk', module: './tag.ts', exportName: 'tagCommand' },
  stats: { summary: "print a community's entity statistics as CSV or JSON (moderators)", module: './stats.ts', exportName: 'statsCommand' },
  export: { summary: 'export a labelled split as fine-tuning data (xtuner)', module: './export.ts', exportName: 'exportCommand' },
  experiment: { summary: 'run the arms of an experiment plan over a dataset split, report F1 with CIs', module: './experiment.ts', exportName: 'experimentCommand' },
  examples: { summary: 'build and measure a multimodal similar-example index', module: './examples.ts', exportName: 'examplesCommand' },
};

const HELP = `Usage: ekmm <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run "ekmm <command> --help" for the options of a command.
Configuration: config/default.yaml, then --config FILE (or EKMM_CONFIG), then EKMM__SECTION__KEY env vars.
`;

type CommandFn = (args: string[]) => Promise<number>;

async function loadCommand(name: string, command: Command): Promise<CommandFn> {
  const url = new URL(command.module, import.meta.url);
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
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ekmm: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    const run = await loadCommand(name, command);
    return await run(rest);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`ekmm ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`ekmm ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.EKMM_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
