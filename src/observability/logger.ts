// Structured logs: pino, one JSON object per line on stderr (stdout stays for command output),
// with a level (LOG_LEVEL: fatal, error, warn, info, debug, trace, silent; default info), the
// time, and per request/message a child logger carrying its id (reqId from fastify, messageId
// and community from the host). Secrets and message text never reach a line: the fields below
// are censored wherever they appear, and no call site logs message text to begin with.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Field names censored at the top level and one or two levels down (req.headers.authorization...). */
const SECRET_FIELDS = ['token', 'botToken', 'apiKey', 'key', 'secret', 'password', 'authorization', 'cookie', 'text', 'images'];

export const REDACT_PATHS: string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers["x-api-key"]',
  'req.headers["x-telegram-bot-api-secret-token"]',
];

/**
 * Secret values (bot tokens, API tokens) known at run time. Field names are not enough: a library's
 * error message may quote a URL holding one (node-fetch: /bot<token>/getMe), so every string a
 * line carries is scrubbed of these values.
 */
const secrets = new Set<string>();

/** Censors `value` in every later log line of every logger made by createLogger. */
export function registerSecret(value: string | undefined): void {
  // Short values would censor ordinary words; real tokens are long.
  if (value && value.length >= 8) secrets.add(value);
}

function scrubString(s: string): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { type: value.name, message: scrubString(value.message), stack: value.stack ? scrubString(value.stack) : undefined };
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  // Only plain objects are copied: a request or socket is left to its serializer.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out;
}

export interface LoggerConfig {
  /** Overrides LOG_LEVEL. */
  level?: string;
  env?: NodeJS.ProcessEnv;
  /** Where lines go (tests pass a memory stream); default stderr, written synchronously. */
  destination?: DestinationStream;
  /** Fields on every line, e.g. { service: 'serve' }. */
  base?: Record<string, unknown>;
}

export function logLevel(env: NodeJS.ProcessEnv = process.env, level?: string): string {
  const wanted = (level ?? env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!(LEVELS as readonly string[]).includes(wanted)) {
    throw new Error(`LOG_LEVEL "${wanted}" is not a level; use one of ${LEVELS.join(', ')}`);
  }
  return wanted;
}

export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: logLevel(config.env, config.level),
    base: { pid: process.pid, ...config.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Errors as { type, message, stack } under `err`.
    serializers: { err: pino.stdSerializers.err },
    hooks: {
      logMethod(args, method) {
        if (secrets.size === 0) return method.apply(this, args);
        return method.apply(this, args.map((a) => scrubDeep(a)) as Parameters<typeof method>);
      },
    },
  };
  return pino(options, config.destination ?? pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything (library use and tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Only the error's message: an error's message never carries the user's text or a token. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
