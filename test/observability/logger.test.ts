// The production logger's options: JSON lines with level and time, LOG_LEVEL, and redaction of
// tokens, keys, Authorization headers and message text wherever they appear in a line's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, logLevel, registerSecret } from '../../src/observability/logger.ts';
import { memoryLogger } from '../support/logs.ts';

test('secrets and message text in fields are censored, the rest is kept', () => {
  const log = memoryLogger();
  log.logger.info(
    {
      token: 'tok-1',
      apiKey: 'key-2',
      req: { headers: { authorization: 'Bearer tok-3', host: 'example' } },
      config: { llm: { apiKey: 'key-4' } },
      message: { text: 'Barack Obama in Paris', messageId: 'm-1' },
      messageId: 'm-1',
    },
    'a line',
  );
  const raw = log.raw();
  for (const secret of ['tok-1', 'key-2', 'tok-3', 'key-4', 'Barack Obama']) assert.doesNotMatch(raw, new RegExp(secret));
  type Line = {
    token: string;
    msg: string;
    level: number;
    time: string;
    messageId: string;
    req: { headers: Record<string, string> };
    message: Record<string, string>;
  };
  const line = log.records[0] as unknown as Line;
  assert.equal(line.token, '[redacted]');
  assert.equal(line.req.headers.authorization, '[redacted]');
  assert.equal(line.req.headers.host, 'example');
  assert.equal(line.message.messageId, 'm-1');
  assert.equal(line.messageId, 'm-1');
  assert.equal(line.msg, 'a line');
  assert.equal(line.level, 30);
  assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
});

test('LOG_LEVEL picks the level; an unknown one is refused by name', () => {
  assert.equal(logLevel({}), 'info');
  assert.equal(logLevel({ LOG_LEVEL: 'DEBUG' }), 'debug');
  assert.throws(
    () => createLogger({ env: { LOG_LEVEL: 'loud' } }),
    /LOG_LEVEL "loud" is not a level; use one of fatal, error, warn, info, debug, trace, silent/,
  );
  const lines: string[] = [];
  const logger = createLogger({ env: { LOG_LEVEL: 'warn' }, destination: { write: (l: string) => void lines.push(l) } });
  logger.info('hidden');
  logger.warn('shown');
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['shown'],
  );
});

test('a registered secret is censored in messages and fields, e.g. a bot token quoted in a URL', () => {
  const log = memoryLogger();
  registerSecret('987654:registered-secret-value');
  log.logger.warn(
    { error: 'request to http://x/bot987654:registered-secret-value/getMe failed' },
    'getMe failed: http://x/bot987654:registered-secret-value/getMe',
  );
  assert.doesNotMatch(log.raw(), /registered-secret-value/);
  assert.match(log.raw(), /bot\[redacted\]\/getMe/);
});
