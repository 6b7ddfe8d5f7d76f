import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { LlmHttpClient, type LlmHttpError, backoffDelay, NO_API_KEY } from '../../src/llm/http-base.ts';
import { OpenAiEmulator, completion, httpError } from '../support/openai-emulator.ts';

const config = (baseURL: string, over: Partial<Parameters<typeof makeClient>[1]> = {}) => ({
  baseURL,
  model: 'emu-model',
  apiKeyEnv: 'EKMM_TEST_LLM_KEY',
  timeoutMs: 2000,
  retries: 2,
  backoffMs: 10,
  maxTokens: 32,
  ...over,
});

function makeClient(baseURL: string, over: Record<string, number | string> = {}, env: NodeJS.ProcessEnv = {}) {
  const delays: number[] = [];
  const client = new LlmHttpClient(config(baseURL, over), { env, onRetry: ({ delayMs }) => delays.push(delayMs) });
  return { client, delays };
}

describe('LlmHttpClient', () => {
  let emu: OpenAiEmulator;
  before(async () => (emu = await new OpenAiEmulator().start()));
  after(() => emu.stop());
  beforeEach(() => {
    emu.reset();
    emu.otherwise(httpError(500, 'no script'));
  });

  test('sends the key from the named env var, the model, and no SDK retries', async () => {
    emu.script(completion('hi'));
    const { client } = makeClient(emu.baseURL, {}, { EKMM_TEST_LLM_KEY: 'sk-test-123' });
    const res = await client.chat({ messages: [{ role: 'user', content: 'hello' }], temperature: 0 });
    assert.equal(res.choices[0]!.message.content, 'hi');
    const req = emu.chatRequests[0]!;
    assert.equal(req.headers.authorization, 'Bearer sk-test-123');
    assert.equal(req.body?.model, 'emu-model');
    assert.equal(req.body?.temperature, 0);
    assert.equal(req.headers['x-stainless-retry-count'] ?? '0', '0');
  });

  test('uses a placeholder key when the env var is unset (local servers)', async () => {
    emu.script(completion('ok'));
    await makeClient(emu.baseURL).client.chat({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(emu.chatRequests[0]!.headers.authorization, `Bearer ${NO_API_KEY}`);
  });

  test('retries 500 and 429 with growing backoff, then succeeds', async () => {
    emu.script(httpError(500), { ...httpError(429), headers: { 'retry-after': '0' } }, completion('third time'));
    const { client, delays } = makeClient(emu.baseURL, { retries: 3, backoffMs: 20 });
    const res = await client.chat({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.choices[0]!.message.content, 'third time');
    assert.equal(emu.chatRequests.length, 3);
    assert.equal(delays.length, 2);
    assert.ok(delays[0]! >= 10 && delays[0]! <= 20, `first delay ${delays[0]} in [10,20]`);
    assert.equal(delays[1], 0, 'Retry-After: 0 is honoured');
  });

  test('does not retry other 4xx', async () => {
    emu.script(httpError(401, 'bad key'), completion('never'));
    const { client } = makeClient(emu.baseURL, {}, { EKMM_TEST_LLM_KEY: 'sk-secret-value' });
    await assert.rejects(client.chat({ messages: [{ role: 'user', content: 'x' }] }), (err: LlmHttpError) => {
      assert.equal(err.code, 'llm.http');
      assert.equal(err.status, 401);
      assert.equal(err.attempts, 1);
      assert.doesNotMatch(err.message, /sk-secret-value/);
      return true;
    });
    assert.equal(emu.chatRequests.length, 1);
  });

  test('gives up after retries+1 attempts', async () => {
    const { client } = makeClient(emu.baseURL, { retries: 2 });
    await assert.rejects(client.chat({ messages: [{ role: 'user', content: 'x' }] }), (err: LlmHttpError) => {
      assert.equal(err.status, 500);
      assert.equal(err.attempts, 3);
      assert.match(err.message, /after 3 attempts/);
      return true;
    });
    assert.equal(emu.chatRequests.length, 3);
  });

  test('a slow answer past the timeout is retried, then reported as llm.timeout', async () => {
    emu.script({ ...completion('late'), delayMs: 600 }, completion('in time'));
    const { client } = makeClient(emu.baseURL, { timeoutMs: 200, retries: 1 });
    const t0 = Date.now();
    const res = await client.chat({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.choices[0]!.message.content, 'in time');
    assert.ok(Date.now() - t0 < 600, 'did not wait for the slow answer');
    emu.script({ ...completion('late'), delayMs: 600 });
    await assert.rejects(
      makeClient(emu.baseURL, { timeoutMs: 150, retries: 0 }).client.chat({ messages: [{ role: 'user', content: 'x' }] }),
      (err: LlmHttpError) => {
        assert.equal(err.code, 'llm.timeout');
        assert.match(err.message, /within 150 ms/);
        return true;
      },
    );
  });

  test('an unreachable server is llm.network after retries', async () => {
    const dead = new OpenAiEmulator();
    await dead.start();
    const url = dead.baseURL;
    await dead.stop();
    const { client, delays } = makeClient(url, { retries: 1 });
    await assert.rejects(client.chat({ messages: [{ role: 'user', content: 'x' }] }), (err: LlmHttpError) => err.code === 'llm.network');
    assert.equal(delays.length, 1);
  });

  test('neither the key a server quotes back nor credentials in baseURL reach the error message', async () => {
    const key = 'sk-secret-quoted-back';
    emu.script(httpError(401, `Incorrect API key provided: ${key}`));
    const refused = await makeClient(emu.baseURL, { retries: 0 }, { EKMM_TEST_LLM_KEY: key })
      .client.chat({ messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => assert.fail('a 401 must reject'),
        (e: unknown) => e as LlmHttpError,
      );
    assert.equal(refused.status, 401);
    assert.match(refused.message, /HTTP 401: .*Incorrect API key provided: <api key>/);
    assert.doesNotMatch(refused.message, /sk-secret-quoted-back/);
    // fetch refuses URLs with credentials; the error that says so must not repeat them.
    const withCredentials = emu.baseURL.replace('http://', 'http://proxyuser:proxypass@');
    const failed = await makeClient(withCredentials, { retries: 0 })
      .client.chat({ messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => assert.fail('a URL with credentials must reject'),
        (e: unknown) => e as LlmHttpError,
      );
    assert.match(failed.message, /at http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(failed.message, /proxypass/);
  });

  test('a 200 with a non-JSON body is llm.bad_response, not retried', async () => {
    emu.script({ raw: '<html>proxy error</html>', headers: { 'content-type': 'application/json' } });
    const { client } = makeClient(emu.baseURL);
    await assert.rejects(
      client.chat({ messages: [{ role: 'user', content: 'x' }] }),
      (err: LlmHttpError) => err.code === 'llm.bad_response',
    );
    assert.equal(emu.chatRequests.length, 1);
  });

  test('GET /v1/models lists the model', async () => {
    assert.deepEqual(await makeClient(emu.baseURL).client.listModels(), ['emu-model']);
  });

  test('backoff is exponential with jitter inside [step/2, step]', () => {
    assert.equal(
      backoffDelay(0, 100, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(0, 100, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(3, 100, () => 0),
      400,
    );
    assert.equal(
      backoffDelay(30, 100, () => 1),
      30000,
      'capped',
    );
  });
});
