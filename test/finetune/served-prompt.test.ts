// One prompt for training and serving: the `llm` recognizer, configured with the template settings
// `ekmm export xtuner` prints, sends for each post exactly the messages the export wrote (captured
// at the OpenAI emulator), and the exported answers read back to exactly the gold entities.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ekmm } from '../support/cli.ts';
import { OpenAiEmulator, completion, type RecordedRequest } from '../support/openai-emulator.ts';
import { CAPTIONS, CMNER, TWITTER, readJsonl, tempDir, type Message } from './fixtures.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { createLlmRecognizer } from '../../src/llm/recognizer.ts';
import { LabelMapper } from '../../src/llm/labels.ts';
import { parseEntityAnswer } from '../../src/llm/parse.ts';
import { parseDataset } from '../../src/data/index.ts';
import { goldEntities, isCharacterTokenized, postText } from '../../src/data/xtuner.ts';
import { TemplatePrompt } from '../../src/finetune/served-prompt.ts';
import { SFT_TEMPLATE_ID, templateSettings, type TemplateSettings } from '../../src/finetune/template.ts';
import type { Post } from '../../src/data/types.ts';
import type { RecognizerInput } from '../../src/core/stages.ts';

/** The `recognizer.llm.template` block from the export's printed config snippet. */
function printedTemplate(stderr: string): TemplateSettings {
  const at = stderr.indexOf('put in the config:\n');
  assert.ok(at >= 0, stderr);
  const yaml = stderr.slice(at + 'put in the config:\n'.length);
  const tree = parseYaml(yaml) as { recognizer: { llm: { template: TemplateSettings } } };
  return tree.recognizer.llm.template;
}

function inputFor(post: Post, caption: string | undefined): RecognizerInput {
  return {
    text: postText(post),
    language: isCharacterTokenized(post) ? 'zh' : 'en',
    ocr: [],
    captions: caption === undefined ? [] : [{ image: 0, text: caption, backend: 'recorded' }],
  };
}

const CAPTION_OF = new Map(
  CAPTIONS.trim()
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf('.')), l.slice(l.indexOf(':') + 1)]),
);

describe('served prompt equals exported prompt', () => {
  let emu: OpenAiEmulator;
  before(async () => (emu = await new OpenAiEmulator().start()));
  after(() => emu.stop());

  for (const split of [
    { name: 'Twitter (en, captions, 2 examples)', file: 'train.txt', text: TWITTER, extra: ['--captions', 'CAPTIONS', '--examples', '2'] },
    { name: 'CMNER (zh, 1 example, renamed types)', file: 'dev.txt', text: CMNER, extra: ['--examples', '1', '--types', 'PER=人物'] },
    {
      name: 'Twitter (en, captions, 2 examples from an `ekmm examples build` index)',
      file: 'train.txt',
      text: TWITTER,
      extra: ['--captions', 'CAPTIONS', '--examples', '2', '--examples-index', 'INDEX'],
    },
  ]) {
    test(split.name, async (t) => {
      const dir = tempDir(t, { [split.file]: split.text, 'captions.txt': CAPTIONS });
      const input = join(dir, split.file);
      const out = join(dir, 'out.jsonl');
      const extra = split.extra.map((a) => (a === 'CAPTIONS' ? join(dir, 'captions.txt') : a === 'INDEX' ? join(dir, 'index.jsonl') : a));
      if (split.extra.includes('INDEX')) {
        const built = ekmm(
          'examples',
          'build',
          '--data',
          dir,
          '--split',
          'train',
          '--captions',
          join(dir, 'captions.txt'),
          '--out',
          join(dir, 'index.jsonl'),
        );
        assert.equal(built.code, 0, built.err);
      }
      const r = ekmm('export', 'xtuner', '--input', input, '--output', out, ...extra);
      assert.equal(r.code, 0, r.err);
      const records = readJsonl<{ messages: Message[] }>(readFileSync(out, 'utf8'));
      const template = printedTemplate(r.err);
      if (split.extra.includes('INDEX')) {
        assert.equal(template.examplesIndex, join(dir, 'index.jsonl'));
        assert.deepEqual(template.examplesWeights, { text: 1, caption: 0.5 });
        // Each prompt shows two examples, never the post itself.
        for (const rec of records) assert.equal(rec.messages[1]!.content.split('\nAnswer: {').length - 1, 2);
      }

      // retries: 1 because the exports above block the event loop (spawnSync) past the emulator's
      // keep-alive timeout, and the client's first request may meet a socket the server just closed.
      const config = loadConfig({
        skipDefaultFile: true,
        env: {},
        overrides: {
          recognizer: {
            llm: { baseURL: emu.baseURL, model: 'tuned', retries: 1, backoffMs: 5, structuredOutput: 'json_schema', template },
          },
        },
      });
      const recognizer = createLlmRecognizer(config, undefined, { env: {} });
      assert.equal(recognizer.templateVersion, SFT_TEMPLATE_ID);
      const posts = parseDataset(split.text, split.file).posts;
      const hasCaptions = extra.includes('--captions');
      for (const [i, post] of posts.entries()) {
        const exported = records[i]!.messages;
        const answer = exported[exported.length - 1]!.content;
        let seen: RecordedRequest | undefined;
        emu.reset().script((req) => ((seen = req), completion(answer)));
        const [result] = await recognizer.recognize([inputFor(post, hasCaptions ? CAPTION_OF.get(post.id) : undefined)]);
        // The request is the exported record without its answer, message for message, byte for byte.
        assert.deepEqual(seen!.body!.messages, exported.slice(0, -1), `post ${post.id}`);
        // Guided decoding (json_schema) allows the template's type names, the labels the model was trained on.
        const format = seen!.body!.response_format as {
          json_schema: { schema: { properties: { entities: { items: { properties: { type: { enum: string[] } } } } } } };
        };
        const names = format.json_schema.schema.properties.entities.items.properties.type.enum;
        assert.ok(
          names.every((n) => exported[exported.length - 2]!.content.includes(n)),
          names.join(','),
        );
        // Served the exported answer, the recognizer finds exactly the gold entities (text and type).
        const found = [...new Map(result!.entities.map((e) => [`${e.type}\u0000${e.text}`, { text: e.text, type: e.type }])).values()];
        const gold = goldEntities(post, config.typeAliases).unique;
        const key = (e: { text: string; type: string }) => `${e.type}:${e.text}`;
        assert.deepEqual(found.map(key).sort(), gold.map(key).sort(), `post ${post.id}`);
        assert.deepEqual(result!.warnings, [], `post ${post.id}`);
      }
    });
  }
});

test('parser round trip: every exported answer of a split reads back to exactly its gold entities', async (t) => {
  for (const [file, text, lang] of [
    ['train.txt', TWITTER, 'en'],
    ['dev.txt', CMNER, 'zh'],
  ] as const) {
    const dir = tempDir(t, { [file]: text });
    const out = join(dir, 'out.jsonl');
    const r = ekmm('export', 'xtuner', '--input', join(dir, file), '--output', out);
    assert.equal(r.code, 0, r.err);
    const settings = printedTemplate(r.err);
    assert.equal(settings.lang, lang);
    const types = ['PER', 'LOC', 'ORG', 'OTHER'];
    const prompt = new TemplatePrompt(settings, types, { MISC: 'OTHER' });
    const labels = new LabelMapper(types, { MISC: 'OTHER', ...prompt.labelAliases() });
    const posts = parseDataset(text, file).posts;
    const records = readJsonl<{ messages: Message[] }>(readFileSync(out, 'utf8'));
    assert.equal(records.length, posts.length);
    posts.forEach((post, i) => {
      const answer = records[i]!.messages.at(-1)!.content;
      const parsed = parseEntityAnswer(answer, 'stop', (l) => labels.map(l) !== undefined);
      assert.deepEqual(parsed.notes, []);
      const back = parsed.proposals.map((p) => ({ text: p.text, type: labels.map(p.label) }));
      assert.deepEqual(back, goldEntities(post, { MISC: 'OTHER' }).unique, `${file} post ${post.id}`);
    });
  }
});

test('recognizer.llm.template: an unknown version or a missing examples file stops start-up', () => {
  const llm = { baseURL: 'http://127.0.0.1:9/v1', model: 'm' };
  assert.throws(
    () =>
      loadConfig({
        skipDefaultFile: true,
        env: {},
        overrides: { recognizer: { llm: { ...llm, template: { name: 'mner-sft', version: 2 } } } },
      }),
    (err: unknown) => err instanceof ConfigError && /renders mner-sft version 1 only/.test(err.message),
  );
  assert.throws(
    () =>
      loadConfig({
        skipDefaultFile: true,
        env: {},
        overrides: { recognizer: { llm: { ...llm, template: { name: 'mner-sft', version: 1, parts: { examples: 2 } } } } },
      }),
    (err: unknown) => err instanceof ConfigError && /examplesFile/.test(err.message),
  );
  // A fixed language with a type the template cannot name: refused when the recognizer is built.
  assert.throws(() => new TemplatePrompt(templateSettings({ lang: 'zh' }), ['PER', 'EVENT'], {}), /'EVENT' has no Chinese name/);
});
