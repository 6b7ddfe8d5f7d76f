import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { OpenAiCaptioner } from '../../src/captioners/openai.ts';
import { RecordedCaptioner, parseCaptionFile } from '../../src/captioners/recorded.ts';
import { NoCaptioner } from '../../src/captioners/none.ts';
import { sha256Hex } from '../../src/cache/key.ts';
import { createRegistries } from '../../src/core/registry.ts';
import { loadConfig } from '../../src/config/load.ts';
import registerLlm from '../../src/llm/register.ts';
import type { PreparedImage } from '../../src/core/stages.ts';
import { OpenAiEmulator, completion, httpError } from '../support/openai-emulator.ts';

async function image(index: number, color: string, name?: string): Promise<PreparedImage> {
  const png = await sharp({ create: { width: 12, height: 9, channels: 3, background: color } })
    .png()
    .toBuffer();
  return { index, png, width: 12, height: 9, format: 'png', sha256: sha256Hex(png), ...(name ? { name } : {}) };
}

describe('openai captioner over HTTP', () => {
  let emu: OpenAiEmulator;
  before(async () => (emu = await new OpenAiEmulator().start()));
  after(() => emu.stop());
  beforeEach(() => emu.reset().otherwise(httpError(500)));

  const cfg = () => ({
    baseURL: emu.baseURL,
    model: 'vlm',
    apiKeyEnv: 'EKMM_TEST_VLM_KEY',
    timeoutMs: 2000,
    retries: 1,
    backoffMs: 5,
    maxTokens: 60,
    prompt: 'Describe this image in one sentence.',
  });

  test('sends the PNG as a base64 data URL with the prompt, temperature 0, key from env', async () => {
    emu.script(completion('  A red square\non white. '), completion('<think>blue...</think>A blue square.'));
    const images = [await image(0, 'red'), await image(1, 'blue')];
    const captioner = new OpenAiCaptioner(cfg(), { env: { EKMM_TEST_VLM_KEY: 'vk-1' }, concurrency: 1 });
    assert.deepEqual(await captioner.caption(images), ['A red square on white.', 'A blue square.']);
    const [req] = emu.chatRequests;
    assert.equal(req!.headers.authorization, 'Bearer vk-1');
    assert.equal(req!.body?.temperature, 0);
    assert.equal(req!.body?.max_tokens, 60);
    const content = (req!.body!.messages as Array<{ content: Array<{ type: string; text?: string; image_url?: { url: string } }> }>)[0]!
      .content;
    assert.equal(content[0]!.text, 'Describe this image in one sentence.');
    const url = content[1]!.image_url!.url;
    assert.match(url, /^data:image\/png;base64,/);
    assert.deepEqual(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'), images[0]!.png, 'the exact PNG bytes arrived');
  });

  test('retries a 503, times out slow answers, empty answer is null', async () => {
    emu.script(httpError(503), completion('A red square.'), completion('   '));
    const captioner = new OpenAiCaptioner(cfg(), { concurrency: 1 });
    assert.deepEqual(await captioner.caption([await image(0, 'red'), await image(1, 'green')]), ['A red square.', null]);
    assert.equal(emu.chatRequests.length, 3);
    emu.script({ ...completion('late'), delayMs: 500 });
    await assert.rejects(new OpenAiCaptioner({ ...cfg(), timeoutMs: 100, retries: 0 }).caption([await image(0, 'red')]), /within 100 ms/);
  });

  test('the prompt versions the cache identity', () => {
    const a = new OpenAiCaptioner(cfg());
    const b = new OpenAiCaptioner({ ...cfg(), prompt: 'List the objects.' });
    assert.equal(a.modelId, 'vlm');
    assert.notEqual(a.templateVersion, b.templateVersion);
  });
});

describe('recorded and none captioners', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ekmm-captions-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('looks captions up by file name, stem, or sha256', async () => {
    const red = await image(0, 'red', '/photos/108911.jpg');
    const unnamed = await image(1, 'blue');
    const file = join(dir, 'captions.txt');
    writeFileSync(
      file,
      `108911.jpg :the chicago bears and green bay packers are playing\n\n${unnamed.sha256} :a blue square\n179335.jpg :two people holding hands\n`,
    );
    const captioner = new RecordedCaptioner(file);
    assert.equal(captioner.size, 3);
    const byStem = await image(2, 'green', '179335.png');
    const unknown = await image(3, 'white', 'nope.jpg');
    assert.deepEqual(await captioner.caption([red, unnamed, byStem, unknown]), [
      'the chicago bears and green bay packers are playing',
      'a blue square',
      'two people holding hands',
      null,
    ]);
  });

  test('a malformed line or duplicate id names file and line', () => {
    assert.throws(() => parseCaptionFile('1.jpg :ok\nno separator here\n', 'caps.txt'), /caps\.txt:2: expected/);
    assert.throws(() => parseCaptionFile('1.jpg :a\n1.jpg :b\n', 'caps.txt'), /caps\.txt:2: caption for "1\.jpg" given twice/);
  });

  test('none always answers null', async () => {
    assert.deepEqual(await new NoCaptioner().caption([await image(0, 'red')]), [null]);
  });

  test('register.ts wires the backends from config', async () => {
    const file = join(dir, 'c2.txt');
    writeFileSync(file, '1.jpg :one\n');
    const r = createRegistries();
    registerLlm(r);
    assert.deepEqual(r.captioner.names(), ['none', 'openai', 'recorded']);
    assert.deepEqual(r.recognizer.names(), ['llm', 'vlm']);
    assert.deepEqual(r.knowledge.names(), ['llm']);
    const config = loadConfig({ skipDefaultFile: true, env: {}, overrides: { captioner: { backend: 'recorded', recorded: { file } } } });
    const recorded = await r.captioner.create('recorded', { config, registries: r });
    assert.deepEqual(await recorded.caption([await image(0, 'red', '1.jpg')]), ['one']);
    await assert.rejects(async () => r.captioner.create('openai', { config, registries: r }), /captioner\.openai section/);
  });
});
