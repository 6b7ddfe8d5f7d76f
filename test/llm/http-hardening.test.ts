// The shared LLM client's hardening against the OpenAI emulator on 127.0.0.1: the circuit
// breaker opens and half-opens, a runaway answer is cut at maxAnswerBytes, the deadline bounds
// every attempt and every wait, and a caller that goes away stops the call.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { LlmHttpClient, type LlmHttpError } from '../../src/llm/http-base.ts';
import { OpenAiEmulator, completion, httpError } from '../support/openai-emulator.ts';

const ask = { messages: [{ role: 'user' as const, content: 'x' }] };

describe('LlmHttpClient hardening', () => {
  let emu: OpenAiEmulator;
  before(async () => (emu = await new OpenAiEmulator().start()));
  after(() => emu.stop());
  beforeEach(() => emu.reset().otherwise(httpError(500, 'down')));

  const client = (over: Record<string, unknown> = {}) =>
    new LlmHttpClient(
      { baseURL: emu.baseURL, model: 'emu-model', apiKeyEnv: 'NONE', timeoutMs: 2000, retries: 0, backoffMs: 10, maxTokens: 16, ...over },
      { env: {} },
    );

  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: LlmHttpError) => e.code,
    );

  test('the breaker opens after N failures in a row, fails fast while open, and lets one probe through later', async () => {
    const c = client({ breaker: { failures: 2, halfOpenAfterMs: 300 } });
    assert.equal(await codeOf(c.chat(ask)), 'llm.http');
    assert.equal(await codeOf(c.chat(ask)), 'llm.http');
    const t = Date.now();
    assert.equal(await codeOf(c.chat(ask)), 'llm.circuit_open');
    assert.ok(Date.now() - t < 50, 'an open breaker answers at once');
    assert.equal(emu.chatRequests.length, 2, 'no request while open');
    await new Promise((r) => setTimeout(r, 350));
    emu.script(completion('back'));
    const probe = await c.chat(ask);
    assert.equal(probe.choices[0]!.message.content, 'back', 'the half-open probe went through and closed the breaker');
    emu.script(completion('again'));
    assert.equal((await c.chat(ask)).choices[0]!.message.content, 'again');
  });

  test('other 4xx do not open the breaker (the request was wrong, not the backend)', async () => {
    const c = client({ breaker: { failures: 2, halfOpenAfterMs: 60_000 } });
    emu.otherwise(httpError(401, 'bad key'));
    for (let i = 0; i < 4; i++) assert.equal(await codeOf(c.chat(ask)), 'llm.http');
    assert.equal(emu.chatRequests.length, 4);
  });

  test('an answer larger than maxAnswerBytes is cut off while reading: llm.too_large, the rest never read', async () => {
    emu.otherwise({ bodyBytes: 50 * 1024 * 1024 });
    const c = client({ maxAnswerBytes: 256 * 1024 });
    const err = await c.chat(ask).then(
      () => assert.fail('must reject'),
      (e: LlmHttpError) => e,
    );
    assert.equal(err.code, 'llm.too_large');
    assert.match(err.message, /exceeded 262144 bytes \(maxAnswerBytes\)/);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(emu.streamed < 10 * 1024 * 1024, `the emulator wrote only ${emu.streamed} bytes before the client hung up`);
  });

  test('a declared Content-Length over the cap is refused before reading', async () => {
    emu.otherwise({ raw: JSON.stringify({ pad: 'a'.repeat(300 * 1024) }) });
    assert.equal(await codeOf(client({ maxAnswerBytes: 64 * 1024 }).chat(ask)), 'llm.too_large');
  });

  test('the deadline bounds each attempt and the backoff: a hanging LLM costs the deadline, not timeout x attempts', async () => {
    emu.otherwise({ hang: true });
    const c = client({ timeoutMs: 20_000, retries: 2 });
    const t = Date.now();
    const err = await c.chat(ask, { deadline: Date.now() + 400 }).then(
      () => assert.fail('must reject'),
      (e: LlmHttpError) => e,
    );
    const took = Date.now() - t;
    assert.equal(err.code, 'llm.timeout');
    assert.match(err.message, /before the message deadline/);
    assert.ok(took < 900, `gave up after ${took} ms`);
  });

  test('a Retry-After within the deadline is honoured; one past it fails at once with llm.rate_limited', async () => {
    emu.script({ ...httpError(429), headers: { 'retry-after': '0.2' } }, completion('after the wait'));
    const c = client({ retries: 1 });
    const t = Date.now();
    const ok = await c.chat(ask, { deadline: Date.now() + 2000 });
    assert.equal(ok.choices[0]!.message.content, 'after the wait');
    assert.ok(Date.now() - t >= 190, 'waited as asked');
    emu.reset().otherwise({ ...httpError(429), headers: { 'retry-after': '30' } });
    const t2 = Date.now();
    assert.equal(await codeOf(c.chat(ask, { deadline: Date.now() + 2000 })), 'llm.rate_limited');
    assert.ok(Date.now() - t2 < 500, 'did not sleep');
  });

  test('a caller that goes away aborts the request in flight: llm.cancelled, not counted against the backend', async () => {
    emu.otherwise({ hang: true });
    const c = client({ breaker: { failures: 1, halfOpenAfterMs: 60_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    assert.equal(await codeOf(c.chat(ask, { signal: controller.signal })), 'llm.cancelled');
    emu.reset().script(completion('still closed'));
    assert.equal((await c.chat(ask)).choices[0]!.message.content, 'still closed', 'a cancellation does not open the breaker');
  });
});
