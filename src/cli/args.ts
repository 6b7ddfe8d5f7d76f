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

/** An optional whole-number option within [min, max]; undefined when the option was not given. */
export function integerOption(raw: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
    throw new UsageError(`${flag} must be ${range}, got '${raw}'`);
  }
  return n;
}
