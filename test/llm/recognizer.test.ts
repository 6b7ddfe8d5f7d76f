import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { LlmRecognizer, createLlmRecognizer } from '../../src/llm/recognizer.ts';
import { TEMPLATE_VERSION } from '../../src/llm/recognizer-prompt.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openStore } from '../../src/store/open.ts';
import type { RecognizerInput } from '../../src/core/stages.ts';
import type { Entity, OcrLine } from '../../src/core/types.ts';
import { OpenAiEmulator, completion, httpError, userText } from '../support/openai-emulator.ts';

const TYPES = ['PER', 'LOC', 'ORG', 'OTHER'];
const box: OcrLine['box'] = [
  [0, 0],
  [10, 0],
  [10, 5],
  [0, 5],
];

const input: RecognizerInput = {
  text: 'Kawhi Leonard flew to New York City with the Spurs. kawhi was happy.',
  language: 'en',
  ocr: [
    { image: 0, text: 'NBA AWARDS 2017', box, score: 0.98 },
    { image: 0, text: 'Madison  Square Garden', box, score: 0.95 },
  ],
  captions: [{ image: 0, text: 'a basketball player holding a trophy in toronto', backend: 'recorded' }],
};

function spans(entities: Entity[]): string[] {
  return entities.map((e) => {
    const source = e.source === 'text' ? input.text : e.source === 'ocr' ? input.ocr[e.ocrLine!]!.text : input.captions[e.caption!]!.text;
    assert.equal(source.slice(e.start, e.end), e.text, 'offsets point at the entity text');
    assert.equal(e.backend, 'llm');
    return `${e.source}${e.ocrLine ?? e.caption ?? ''}:${e.text}/${e.type}`;
  });
}

describe('llm recognizer over HTTP', () => {
  let emu: OpenAiEmulator;
  const make = (over: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) =>
    new LlmRecognizer(
      {
        baseURL: emu.baseURL,
        model: 'emu-model',
        apiKeyEnv: 'EKMM_TEST_KEY',
        timeoutMs: 2000,
        retries: 1,
        backoffMs: 5,
        maxTokens: 256,
        structuredOutput: 'auto',
        ...over,
      },
      TYPES,
      { MISC: 'OTHER' },
      { env },
    );
  before(async () => (emu = await new OpenAiEmulator().start()));
  after(() => emu.stop());
  beforeEach(() => emu.reset().otherwise(httpError(500, 'unscripted')));

  test('json_schema answer: entities aligned to text, OCR lines and captions; request is deterministic', async () => {
    emu.script(
      completion(
        JSON.stringify({
          entities: [
            { text: 'Kawhi Leonard', type: 'PER' },
            { text: 'New York City', type: 'LOC' },
            { text: 'Spurs', type: 'ORG' },
            { text: 'NBA', type: 'ORG' },
            { text: 'Madison Square Garden', type: 'LOC' },
            { text: 'Toronto', type: 'LOC' },
          ],
        }),
      ),
    );
    const [out] = await make({}, { EKMM_TEST_KEY: 'sk-abc' }).recognize([input]);
    assert.deepEqual(spans(out!.entities), [
      'text:Kawhi Leonard/PER',
      'text:New York City/LOC',
      'text:Spurs/ORG',
      'ocr0:NBA/ORG',
      'ocr1:Madison  Square Garden/LOC',
      'caption0:toronto/LOC',
    ]);
    assert.equal(out!.dropped, 0);
    assert.deepEqual(out!.warnings, []);
    const req = emu.chatRequests[0]!;
    assert.equal(req.headers.authorization, 'Bearer sk-abc');
    assert.equal(req.body?.temperature, 0);
    assert.equal(req.body?.max_tokens, 256);
    const format = req.body?.response_format as {
      type: string;
      json_schema: { schema: { properties: { entities: { items: { properties: { type: { enum: string[] } } } } } } };
    };
    assert.equal(format.type, 'json_schema');
    assert.deepEqual(format.json_schema.schema.properties.entities.items.properties.type.enum, TYPES);
    const prompt = userText(req);
    assert.match(prompt, /1\. NBA AWARDS 2017\n2\. Madison {2}Square Garden/, 'OCR lines are numbered');
    assert.match(prompt, /basketball player holding a trophy/);
    assert.match(prompt, /Kawhi Leonard flew/);
  });

  test('fenced JSON with <think> and preamble, labels in other case and language', async () => {
    emu.script(
      completion(
        '<think>The user wants entities. Spurs is a team.</think>\nSure! Here is the result:\n```json\n' +
          '{"entities": [{"name": "Kawhi Leonard", "label": "person"}, {"text": "Spurs", "type": "组织"}, {"text": "NBA", "type": "Organization"}, {"text": "New York City", "type": "地名"}, ["AWARDS", "misc"]]}\n```',
      ),
    );
    const [out] = await make().recognize([input]);
    assert.deepEqual(spans(out!.entities).sort(), [
      'ocr0:AWARDS/OTHER',
      'ocr0:NBA/ORG',
      'text:Kawhi Leonard/PER',
      'text:New York City/LOC',
      'text:Spurs/ORG',
    ]);
    assert.ok(
      out!.warnings.some((w) => w.code === 'llm.preamble'),
      'preamble warning',
    );
  });

  test('entities that occur in no input are dropped and counted; case-insensitive and repeated matches', async () => {
    emu.script(
      completion(
        '{"entities":[{"text":"KAWHI","type":"PER"},{"text":"Gregg Popovich","type":"PER"},{"text":"San Antonio","type":"LOC"},{"text":"Spurs","type":"Sports Team?"}]}',
      ),
    );
    const [out] = await make().recognize([input]);
    // "KAWHI" matches both "Kawhi" (inside "Kawhi Leonard" is fine: nothing else claimed it) and "kawhi".
    assert.deepEqual(spans(out!.entities), ['text:Kawhi/PER', 'text:kawhi/PER']);
    assert.equal(out!.dropped, 3);
    const codes = out!.warnings.map((w) => w.code).sort();
    assert.deepEqual(codes, ['llm.entity_not_in_input', 'llm.unknown_type']);
    assert.match(out!.warnings.find((w) => w.code === 'llm.entity_not_in_input')!.message, /Gregg Popovich/);
  });

  test('malformed JSON: complete entity objects are salvaged with a warning', async () => {
    emu.script(
      completion(
        '{"entities": [{"text": "Spurs", "type": "ORG"}, {"text": "NBA" "type": "ORG"}, {"text": "New York City", "type": "LOC"},]}',
      ),
    );
    const [out] = await make().recognize([input]);
    assert.deepEqual(spans(out!.entities), ['text:New York City/LOC', 'text:Spurs/ORG']);
    assert.ok(
      out!.warnings.some((w) => w.code === 'llm.malformed_json'),
      'malformed JSON warning',
    );
  });

  test('JSON items that are not entities are counted in a warning, not dropped quietly', async () => {
    emu.script(completion(JSON.stringify({ entities: [{ text: 'Spurs', type: 'ORG' }, { name_of_thing: 'NBA' }, 42] })));
    const [out] = await make().recognize([input]);
    assert.deepEqual(spans(out!.entities), ['text:Spurs/ORG']);
    const w = out!.warnings.find((x) => x.code === 'llm.unreadable_items');
    assert.match(w?.message ?? '', /2 item\(s\) of the JSON answer were not entities/, JSON.stringify(out!.warnings));
  });

  test('answer cut at max_tokens: complete entities kept, warning added', async () => {
    emu.script(
      completion('{"entities": [{"text": "Kawhi Leonard", "type": "PER"}, {"text": "Spurs", "type": "ORG"}, {"text": "New Yo', 'length'),
    );
    const [out] = await make().recognize([input]);
    assert.deepEqual(spans(out!.entities), ['text:Kawhi Leonard/PER', 'text:Spurs/ORG']);
    const w = out!.warnings.find((x) => x.code === 'llm.truncated');
    assert.ok(w, 'truncation warning');
    assert.match(w.message, /kept 2/);
  });

  test('400 on json_schema falls back to json_object, then plain text, and remembers', async () => {
    emu.script(
      httpError(400, 'response_format json_schema is not supported'),
      httpError(400, 'response_format json_object is not supported'),
      completion('Named entities: 1. Kawhi Leonard (person) 2. Spurs (organization)'),
      completion('1. New York City (LOC)'),
    );
    const recognizer = make();
    const [first] = await recognizer.recognize([input]);
    assert.deepEqual(spans(first!.entities), ['text:Kawhi Leonard/PER', 'text:Spurs/ORG']);
    assert.equal(first!.warnings.filter((w) => w.code === 'llm.structured_output_fallback').length, 2);
    assert.equal(recognizer.structuredMode, 'none');
    const formats = emu.chatRequests.map((r) => (r.body?.response_format as { type: string } | undefined)?.type);
    assert.deepEqual(formats, ['json_schema', 'json_object', undefined]);
    const [second] = await recognizer.recognize([input]);
    assert.deepEqual(spans(second!.entities), ['text:New York City/LOC']);
    assert.equal(emu.chatRequests.length, 4, 'no second negotiation');
    assert.equal(emu.chatRequests[3]!.body?.response_format, undefined);
  });

  test('HTTP 500 then success is retried; persistent failure throws so the pipeline falls back', async () => {
    emu.script(httpError(500), completion('{"entities": [{"text": "Spurs", "type": "ORG"}]}'));
    const [out] = await make().recognize([input]);
    assert.deepEqual(spans(out!.entities), ['text:Spurs/ORG']);
    assert.equal(emu.chatRequests.length, 2);
    await assert.rejects(make({ retries: 0 }).recognize([input]), /HTTP 500/);
  });

  test('a slow answer past the timeout rejects with llm.timeout', async () => {
    emu.script({ ...completion('{"entities": []}'), delayMs: 500 });
    await assert.rejects(
      make({ timeoutMs: 150, retries: 0 }).recognize([input]),
      (err: Error & { code?: string }) => err.code === 'llm.timeout',
    );
  });

  test('Chinese text: whitespace-insensitive alignment, Chinese labels', async () => {
    const zh: RecognizerInput = { text: '我在北京 大学见到了王小明。', language: 'zh', ocr: [], captions: [] };
    emu.script(completion('{"entities": [{"text": "北京大学", "type": "机构"}, {"text": "王小明", "type": "人名"}]}'));
    const [out] = await make().recognize([zh]);
    assert.deepEqual(
      out!.entities.map((e) => [zh.text.slice(e.start, e.end), e.type]),
      [
        ['北京 大学', 'ORG'],
        ['王小明', 'PER'],
      ],
    );
  });

  test('batches keep order; empty answer list means no entities and no warnings', async () => {
    emu.otherwise((req) =>
      completion(userText(req).includes('Spurs') ? '{"entities": [{"text": "Spurs", "type": "ORG"}]}' : '{"entities": []}'),
    );
    const other: RecognizerInput = { text: 'nothing to see', language: 'en', ocr: [], captions: [] };
    const outs = await make().recognize([other, input, other]);
    assert.deepEqual(
      outs.map((o) => o.entities.map((e) => e.text)),
      [[], ['Spurs'], []],
    );
    assert.deepEqual(
      outs.flatMap((o) => o.warnings),
      [],
    );
  });

  test('answers are cached by prompt + model + template version', async () => {
    const store = await openStore('memory://');
    const config = loadConfig({
      skipDefaultFile: true,
      env: {},
      overrides: { recognizer: { llm: { baseURL: emu.baseURL, model: 'emu-model', retries: 0 } }, cache: { url: 'memory://' } },
    });
    emu.otherwise(completion('{"entities": [{"text": "Spurs", "type": "ORG"}]}'));
    const a = createLlmRecognizer(config, store);
    await a.recognize([input]);
    await a.recognize([input]);
    assert.equal(emu.chatRequests.length, 1, 'second answer from cache');
    assert.equal(a.templateVersion, TEMPLATE_VERSION);
    const b = createLlmRecognizer(
      { ...config, recognizer: { ...config.recognizer, llm: { ...config.recognizer.llm!, model: 'other-model' } } },
      store,
    );
    await b.recognize([input]);
    assert.equal(emu.chatRequests.length, 2, 'another model is not served the cached answer');
    await store.close();
  });

  test('names are found in what the tagger reads: OCR blocks, split hashtags, resolved mentions; then in the raw text', async () => {
    const line = (text: string, y: number): OcrLine => ({
      image: 0,
      text,
      score: 0.97,
      box: [
        [10, y],
        [10 + 12 * text.length, y],
        [10 + 12 * text.length, y + 20],
        [10, y + 20],
      ],
    });
    const chat: RecognizerInput = {
      text: 'Loved #TaylorSwift tonight with <@42> #WembleyStadium',
      language: 'en',
      ocr: [line('Angela', 0), line('Merkel in Berlin', 24)],
      captions: [],
      hints: { mentions: [{ kind: 'user', id: '42', name: 'Joe Alwyn' }] },
    };
    emu.script(
      completion(
        JSON.stringify({
          entities: [
            { text: 'Angela Merkel', type: 'PER' },
            { text: 'Berlin', type: 'LOC' },
            { text: 'Taylor Swift', type: 'PER' },
            { text: 'Joe Alwyn', type: 'PER' },
            { text: '#WembleyStadium', type: 'LOC' },
            { text: '#TaylorSwift', type: 'PER' },
          ],
        }),
      ),
    );
    const [out] = await make().recognize([chat]);
    const got = out!.entities.map((e) => ({
      source: e.source,
      text: e.text,
      display: e.display,
      spans: e.spans,
      start: e.start,
      end: e.end,
    }));
    for (const e of out!.entities.filter((x) => x.source === 'text')) assert.equal(chat.text.slice(e.start, e.end), e.text);
    const text = got.filter((e) => e.source === 'text');
    assert.deepEqual(
      text.map((e) => [e.text, e.display]),
      [
        ['TaylorSwift', 'Taylor Swift'],
        ['<@42>', 'Joe Alwyn'],
        ['#WembleyStadium', undefined],
      ],
      'the split hashtag and the resolved mention map back to the raw text; a name only in the raw text is found there',
    );
    const ocr = got.filter((e) => e.source === 'ocr');
    assert.deepEqual(
      ocr.map((e) => [e.text, e.spans]),
      [
        [
          'Angela Merkel',
          [
            { ocrLine: 0, start: 0, end: 6 },
            { ocrLine: 1, start: 0, end: 6 },
          ],
        ],
        ['Berlin', [{ ocrLine: 1, start: 10, end: 16 }]],
      ],
      'a name wrapped over two OCR lines is one entity touching both',
    );
    assert.equal(out!.dropped, 1, '"#TaylorSwift" only repeats the entity already found as "Taylor Swift"');
    assert.ok(out!.warnings.some((w) => w.code === 'llm.entity_overlap'));
  });

  test('missing recognizer.llm section is a clear error', () => {
    assert.throws(() => createLlmRecognizer(loadConfig({ skipDefaultFile: true, env: {} })), /recognizer\.llm section/);
  });
});
