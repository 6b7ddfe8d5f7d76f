// Shared argument handling for CLI commands: node:util parseArgs with its errors turned into
// UsageError (exit code 2, message shown without a stack), and config loading from --config.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line usage: main prints the message and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${(err as Error).message} (see --help)`);
    throw err;
  }
}
