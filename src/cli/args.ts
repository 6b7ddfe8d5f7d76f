// Shared argument handling for CLI commands: node:util parseArgs with its errors turned into
// UsageError (exit code 2, message shown without a stack), and config loading from --config.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line usage: main prints the message and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * An input named on the command line (a file given to a flag) cannot be used: main prints the
 * message and exits with 1.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * Checks that a file named by a flag exists and is readable, so the user sees the flag and the
 * path instead of a raw ENOENT from deep inside a reader.
 */
export async function requireInputFile(path: string, flag: string): Promise<string> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InputError(`${flag} ${path}: ${why} (resolved to ${resolve(path)})`);
  }
  if (!info.isFile()) throw new InputError(`${flag} ${path}: not a file`);
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new InputError(`${flag} ${path}: permission denied`);
  }
  return path;
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
