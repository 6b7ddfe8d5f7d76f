// The `vlm` recognizer through the real engine and the OpenAI emulator: the prepared image goes
// as a data URL beside the text and the entity types, JSON-schema output is asked for (and
// downgraded when refused), the answer is parsed and aligned like the llm recognizer's, and
// `record:` writes it in the format the `recorded` recognizer replays identically.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/load.ts';
import { createEngine } from '../../src/app/engine.ts';
import { OpenAiEmulator, completion, httpError } from '../support/openai-emulator.ts';

describe('vlm recognizer', () => {
  let emu: OpenAiEmulator;
  let dir: string;
  let png: Buffer;
  before(async () => {
    emu = await new OpenAiEmulator().start();
    dir = mkdtempSync(join(tmpdir(), 'ekmm-vlm-'));
    png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
  });
  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => emu.reset().otherwise(httpError(500, 'unscripted')));

  const engine = (vlm: Record<string, unknown>, backends = ['vlm']) =>
    createEngine(
      loadConfig({
        skipDefaultFile: true,
        env: {},
        overrides: {
          ocr: { backend: 'none' },
          cache: { enabled: false },
          language: 'en',
          recognizer: {
            backends,
            fallback: 'none',
            vlm: { baseURL: emu.baseURL, model: 'emu-vlm', retries: 0, ...vlm },
            recorded: { file: join(dir, 'vlm.jsonl') },
          },
        },
      }),
    );

  test('sends the image as a data URL with the text and types, asks for JSON schema, aligns the answer; record: replays identically', async () => {
    const record = join(dir, 'vlm.jsonl');
    const e = await engine({ record });
    emu.script(
      completion(
        '```json\n{"entities": [{"text": "Angela Merkel", "type": "person"}, {"text": "Berlin", "type": "LOC"}, {"text": "Mars", "type": "LOC"}]}\n```',
      ),
    );
    const message = {
      text: 'Angela Merkel visits berlin today',
      images: [{ kind: 'bytes' as const, bytes: png, name: 'p.png' }],
      messageId: 'post-7',
    };
    const r = await e.recognize(message);
    await e.close();
    const req = emu.chatRequests[0]!.body!;
    assert.equal(req.model, 'emu-vlm');
    assert.equal((req.response_format as { type: string }).type, 'json_schema');
    const user = (req.messages as Array<{ role: string; content: unknown }>).find((m) => m.role === 'user')!;
    const parts = user.content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    assert.equal(parts[0]!.type, 'text');
    assert.match(parts[0]!.text!, /Angela Merkel visits berlin today[\s\S]*Entity types allowed: PER, LOC, ORG, OTHER[\s\S]*1 image\(s\)/);
    const image = parts.find((p) => p.type === 'image_url')!;
    assert.match(image.image_url!.url, /^data:image\/png;base64,/);
    const sent = await sharp(Buffer.from(image.image_url!.url.split(',')[1]!, 'base64')).metadata();
    assert.deepEqual([sent.width, sent.height], [64, 48], 'the prepared image itself is sent');
    assert.deepEqual(
      r.entities.map((x) => `${x.text}/${x.type}/${x.backend}/${x.start}`),
      ['Angela Merkel/PER/vlm/0', 'berlin/LOC/vlm/21'],
    );
    assert.equal(r.droppedEntities, 1);
    assert.ok(
      r.warnings.some((w) => w.code === 'llm.entity_not_in_input' && /vlm recognizer: 1 entities occur in no input/.test(w.message)),
    );
    assert.deepEqual(JSON.parse(readFileSync(record, 'utf8').trim()), {
      id: 'post-7',
      entities: [
        { text: 'Angela Merkel', type: 'person' },
        { text: 'Berlin', type: 'LOC' },
        { text: 'Mars', type: 'LOC' },
      ],
    });

    const replay = await engine({}, ['recorded']);
    const again = await replay.recognize(message);
    await replay.close();
    assert.deepEqual(
      again.entities.map((x) => ({ ...x, backend: 'vlm' })),
      r.entities,
    );
    assert.equal(again.droppedEntities, r.droppedEntities);
    assert.equal(emu.chatRequests.length, 1, 'the replay asks no model');
    const missing = await engine({}, ['recorded']);
    const none = await missing.recognize({ ...message, messageId: 'post-8' });
    await missing.close();
    assert.deepEqual(none.entities, []);
    assert.ok(none.warnings.some((w) => w.code === 'recorded.missing' && /no answer for post post-8/.test(w.message)));
  });

  test('a server that refuses json_schema gets json_object, then plain text; maxImages caps the images sent', async () => {
    const e = await engine({ maxImages: 1 });
    emu.script(httpError(400, 'response_format json_schema unsupported'), httpError(400, 'no json mode'), completion('1. Paris (LOC)'));
    const r = await e.recognize({
      text: 'Paris in spring',
      images: [
        { kind: 'bytes', bytes: png },
        { kind: 'bytes', bytes: png },
      ],
    });
    await e.close();
    const formats = emu.chatRequests.map((q) => (q.body!.response_format as { type?: string } | undefined)?.type ?? 'none');
    assert.deepEqual(formats, ['json_schema', 'json_object', 'none']);
    const parts = (emu.chatRequests[2]!.body!.messages as Array<{ content: unknown }>)[1]!.content as Array<{ type: string }>;
    assert.equal(parts.filter((p) => p.type === 'image_url').length, 1);
    assert.deepEqual(
      r.entities.map((x) => `${x.text}/${x.type}`),
      ['Paris/LOC'],
    );
    assert.ok(r.warnings.some((w) => w.code === 'llm.structured_output_fallback'));
  });

  test('without a recognizer.vlm section the error says what to add', async () => {
    await assert.rejects(
      createEngine(
        loadConfig({
          skipDefaultFile: true,
          env: {},
          overrides: { ocr: { backend: 'none' }, cache: { enabled: false }, recognizer: { backends: ['vlm'] } },
        }),
      ),
      /recognizer backend "vlm" needs a recognizer\.vlm section/,
    );
  });
});
