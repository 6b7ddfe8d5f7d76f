// The multimodal similar-example index: BM25, perceptual hashes, the index file, weighted
// retrieval, the `ekmm examples` command, embeddings and the LLM knowledge source using it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Bm25, terms } from '../../src/examples/bm25.ts';
import { hashSimilarity, perceptualHash } from '../../src/examples/phash.ts';
import { INDEX_FORMAT, readIndex, SimilarExamples } from '../../src/examples/index.ts';
import { buildIndex } from '../../src/examples/build.ts';
import { IndexRetriever, IndexTemplateRetriever } from '../../src/examples/retriever.ts';
import type { ExampleRetriever } from '../../src/finetune/examples.ts';
import { LlmHttpClient } from '../../src/llm/http-base.ts';
import { createLlmKnowledge } from '../../src/llm/knowledge.ts';
import { loadConfig } from '../../src/config/load.ts';
import { readDataset } from '../../src/data/index.ts';
import type { PreparedImage } from '../../src/core/stages.ts';
import { OpenAiEmulator, completion, userText } from '../support/openai-emulator.ts';
import { ekmm } from '../support/cli.ts';

/** A 96x96 picture: stripes (vertical or horizontal) or a disc, in a given colour. */
async function picture(kind: 'vstripes' | 'hstripes' | 'disc', color: string, size = 96): Promise<Buffer> {
  const shapes =
    kind === 'disc'
      ? `<circle cx="48" cy="48" r="30" fill="${color}"/>`
      : Array.from({ length: 6 }, (_, i) =>
          kind === 'vstripes'
            ? `<rect x="${i * 16}" y="0" width="8" height="96" fill="${color}"/>`
            : `<rect x="0" y="${i * 16}" width="96" height="8" fill="${color}"/>`,
        ).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><rect width="96" height="96" fill="#fff"/>${shapes}</svg>`;
  return sharp(Buffer.from(svg)).resize(size, size).png().toBuffer();
}

describe('BM25', () => {
  test('terms: lower-cased words, URLs dropped, Han one character a term', () => {
    assert.deepEqual(terms('RT @Obama: Visit http://t.co/x1 北京!'), ['rt', 'obama', 'visit', '北', '京']);
  });

  test('scores match the Okapi formula and rank the rare shared term first', () => {
    const docs = ['the cat sat', 'the dog sat', 'the cat and the cat'];
    const bm = new Bm25(docs);
    const avg = (3 + 3 + 5) / 3;
    const idfCat = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    const idfDog = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5));
    assert.ok(Math.abs(bm.idf('cat') - idfCat) < 1e-12 && Math.abs(bm.idf('dog') - idfDog) < 1e-12);
    const s = bm.scores('dog cat');
    const part = (tf: number, len: number, idf: number) => (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * len) / avg));
    assert.ok(Math.abs(s.get(0)! - part(1, 3, idfCat)) < 1e-12);
    assert.ok(Math.abs(s.get(1)! - part(1, 3, idfDog)) < 1e-12);
    assert.ok(Math.abs(s.get(2)! - part(2, 5, idfCat)) < 1e-12);
    assert.ok(s.get(1)! > s.get(0)!, 'the rarer term weighs more');
    assert.equal(bm.scores('unicorn').size, 0);
  });
});

/** A photo-like scene: a diagonal gradient, a light disc and a dark bar (flat synthetic patterns make pHash noisy). */
function scene(from: string, to: string, discX: number): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">` +
      `<stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>` +
      `<rect width="96" height="96" fill="url(#g)"/><circle cx="${discX}" cy="40" r="22" fill="#fff"/><rect x="10" y="70" width="50" height="16" fill="#222"/></svg>`,
  );
}

describe('perceptual hash', () => {
  test('the same picture resized and re-encoded stays close; another picture does not', async () => {
    const base = await sharp(scene('#036', '#fc0', 30))
      .png()
      .toBuffer();
    const a = await perceptualHash(base);
    const resized = await perceptualHash(await sharp(base).resize(200, 200).jpeg({ quality: 70 }).toBuffer());
    const other = await perceptualHash(
      await sharp(scene('#fc0', '#036', 70))
        .png()
        .toBuffer(),
    );
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(hashSimilarity(a, a), 1);
    assert.ok(hashSimilarity(a, resized) >= 0.9, `resized: ${hashSimilarity(a, resized)}`);
    assert.ok(hashSimilarity(a, other) < 0.75, `other: ${hashSimilarity(a, other)}`);
  });
});

describe('example index', () => {
  let dir: string;
  let emu: OpenAiEmulator;
  const TRAIN = [
    ['1', 'Messi scores for Barcelona', 'B-PER O O B-ORG', 'a soccer player on a field'],
    ['2', 'Sunset over Paris tonight', 'O O B-LOC O', 'the eiffel tower at sunset'],
    ['3', 'Obama speaks in Chicago', 'B-PER O O B-LOC', 'a man at a podium'],
    ['4', 'New iPhone from Apple', 'O B-MISC O B-ORG', 'a phone on a table'],
  ];
  const TEST = [['9', 'Ronaldo scores for Madrid', 'B-PER O O B-ORG', 'a soccer player kicking a ball']];
  const conll = (rows: string[][]) =>
    rows
      .map(
        ([id, text, tags]) =>
          `IMGID:${id}\n${text!
            .split(' ')
            .map((t, i) => `${t}\t${tags!.split(' ')[i]}`)
            .join('\n')}\n`,
      )
      .join('\n') + '\n';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ekmm-examples-'));
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'data', 'train.txt'), conll(TRAIN));
    writeFileSync(join(dir, 'data', 'test.txt'), conll(TEST));
    writeFileSync(join(dir, 'captions.txt'), [...TRAIN, ...TEST].map(([id, , , c]) => `${id}.jpg :${c}`).join('\n') + '\n');
    const kinds = {
      1: ['disc', '#c00'],
      2: ['hstripes', '#fa0'],
      3: ['vstripes', '#00c'],
      4: ['hstripes', '#0a0'],
      9: ['disc', '#c00'],
    } as const;
    for (const [id, [kind, color]] of Object.entries(kinds)) writeFileSync(join(dir, 'images', `${id}.png`), await picture(kind, color));
    emu = await new OpenAiEmulator().start();
  });
  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ekmm examples build writes the documented format; measure prints the table against random', () => {
    const index = join(dir, 'index.jsonl');
    const b = ekmm(
      'examples',
      'build',
      '--data',
      join(dir, 'data'),
      '--split',
      'train',
      '--captions',
      join(dir, 'captions.txt'),
      '--images',
      join(dir, 'images'),
      '--out',
      index,
    );
    assert.equal(b.code, 0, b.err);
    assert.match(b.err, /4 examples \(4 with captions, 4 with an image signature \[phash\]/);
    const lines = readFileSync(index, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], {
      format: INDEX_FORMAT,
      split: 'train',
      source: join(dir, 'data', 'train.txt'),
      count: 4,
      captions: true,
      image: 'phash',
    });
    assert.deepEqual(lines[4].entities, [
      { text: 'iPhone', type: 'MISC' },
      { text: 'Apple', type: 'ORG' },
    ]);
    assert.equal(lines[1].caption, 'a soccer player on a field');
    assert.match(lines[1].phash, /^[0-9a-f]{16}$/);
    const m = ekmm(
      'examples',
      'measure',
      '--index',
      index,
      '--data',
      join(dir, 'data'),
      '--split',
      'test',
      '--captions',
      join(dir, 'captions.txt'),
      '--images',
      join(dir, 'images'),
      '--k',
      '1',
      '--json',
    );
    assert.equal(m.code, 0, m.err);
    const rows = JSON.parse(m.out) as Array<{ name: string; typeHit: number; posts: number }>;
    assert.deepEqual(
      rows.map((r) => r.name),
      ['random', 'token-set Jaccard (before)', 'text (BM25)', 'caption (BM25)', 'image (perceptual hash)', 'weighted mix'],
    );
    // "scores for" (text), "soccer player" (caption) and the red disc (image) all point at post 1 (PER + ORG).
    for (const r of rows.slice(2)) assert.equal(r.typeHit, 100, r.name);
    const table = ekmm('examples', 'measure', '--index', index, '--data', join(dir, 'data'), '--split', 'test', '--k', '2');
    assert.match(table.out, /\| retrieval \(k = 2\) \| weights text\/caption\/image \|/);
    assert.match(table.out, /\| random \| – \| 1 \|/);
    writeFileSync(join(dir, 'bad.jsonl'), '{"format":"other"}\n');
    assert.throws(() => readIndex(join(dir, 'bad.jsonl')), /bad\.jsonl:1: not an example index \(format is "other"/);
  });

  test('weights decide: text alone, caption alone, image alone each find their neighbour', async () => {
    const posts = (await readDataset(join(dir, 'data', 'train.txt'))).posts;
    const idx = await buildIndex({
      posts,
      split: 'train',
      source: 'train.txt',
      imagesDir: join(dir, 'images'),
      captions: new Map(TRAIN.map(([id, , , c]) => [id!, c!])),
    });
    const sim = new SimilarExamples(idx.entries, { text: 1, caption: 0, image: 0 });
    const first = (q: Parameters<SimilarExamples['similar']>[0], w: { text: number; caption: number; image: number }) =>
      sim.similar(q, 1, w)[0]!.entry.id;
    assert.equal(first({ text: 'Obama in Chicago' }, { text: 1, caption: 0, image: 0 }), '3');
    assert.equal(first({ text: 'zzz', caption: 'the eiffel tower' }, { text: 0, caption: 1, image: 0 }), '2');
    const phash = await perceptualHash(await picture('vstripes', '#00c', 150));
    assert.equal(first({ text: '', phash }, { text: 0, caption: 0, image: 1 }), '3');
    assert.equal(
      sim.similar({ text: 'Obama in Chicago', excludeId: '3' }, 4).every((r) => r.entry.id !== '3'),
      true,
      'a post is never its own example',
    );
  });

  test("the index serves the fine-tuning export's retriever interface (never the sentence itself)", async () => {
    const posts = (await readDataset(join(dir, 'data', 'train.txt'))).posts;
    const idx = await buildIndex({ posts, split: 'train', source: 'train.txt' });
    const retriever: ExampleRetriever = new IndexTemplateRetriever(
      new SimilarExamples(idx.entries, { text: 1, caption: 0, image: 0 }),
      'train.txt',
      { MISC: 'OTHER' },
    );
    assert.equal(retriever.id, 'ekmm-examples:train.txt:1/0/0');
    const got = await retriever.similar({ text: 'New iPhone from Apple' }, 2);
    assert.ok(got.every((e) => e.text !== 'New iPhone from Apple'));
    assert.equal(got.length, 2);
    const apple = await retriever.similar({ text: 'Apple news' }, 1);
    assert.deepEqual(apple, [
      {
        text: 'New iPhone from Apple',
        entities: [
          { text: 'iPhone', type: 'OTHER' },
          { text: 'Apple', type: 'ORG' },
        ],
      },
    ]);
  });

  test('image similarity from an OpenAI-compatible /v1/embeddings endpoint', async () => {
    // The emulator embeds an image data URL by its length: near lengths are near vectors.
    emu.reset().embeddings((input) => [1, input.length / 1000, input.startsWith('data:image/') ? 1 : 0]);
    const client = new LlmHttpClient({
      baseURL: emu.baseURL,
      model: 'emb',
      apiKeyEnv: 'EKMM_TEST_NONE',
      timeoutMs: 2000,
      retries: 0,
      backoffMs: 1,
      maxTokens: 1,
    });
    const posts = (await readDataset(join(dir, 'data', 'train.txt'))).posts;
    const idx = await buildIndex({ posts, split: 'train', source: 'train.txt', imagesDir: join(dir, 'images'), embeddings: client });
    assert.equal(idx.header.image, 'embedding');
    assert.equal(idx.header.embeddingModel, 'emb');
    assert.equal(idx.entries.filter((e) => e.embedding?.length === 3).length, 4);
    assert.equal(emu.embeddingRequests.length, 4);
    assert.match(String((emu.embeddingRequests[0]!.body!.input as string[])[0]), /^data:image\/png;base64,/);
  });

  test('the llm knowledge source takes its few-shot examples from the index (caption and image count)', async () => {
    const index = join(dir, 'index.jsonl');
    emu.reset().otherwise((req) => completion(`Named entities: 1. Ronaldo (person) Reasoning: ${userText(req).length}`));
    const config = loadConfig({
      skipDefaultFile: true,
      env: {},
      overrides: {
        knowledge: {
          backend: 'llm',
          llm: { baseURL: emu.baseURL, model: 'emu-model' },
          examples: 1,
          similar: { index, text: 0, caption: 0, image: 1 },
        },
        cache: { enabled: false },
      },
    });
    const knowledge = createLlmKnowledge(config);
    const png = await sharp(await picture('vstripes', '#00c', 120))
      .png()
      .toBuffer();
    const image: PreparedImage = { index: 0, png, width: 120, height: 120, format: 'png', sha256: 'x' };
    const [k] = await knowledge.knowledge([{ text: 'hello there', language: 'en', ocr: [], captions: [], images: [image] }]);
    assert.match(k!, /^Named entities: 1\. Ronaldo/);
    const messages = emu.chatRequests[0]!.body!.messages as Array<{ role: string; content: string }>;
    // The one example is post 3, whose picture (blue vertical stripes) matches the message's image.
    assert.match(messages[1]!.content, /Text: Obama speaks in Chicago/);
    assert.equal(messages[2]!.content, 'Named entities: 1. Obama (PER) 2. Chicago (LOC)');
    const byCaption = new IndexRetriever(new SimilarExamples(readIndex(index).entries, { text: 0, caption: 1, image: 0 }), {
      MISC: 'OTHER',
    });
    const picked = await byCaption.similar(
      { text: '', language: 'en', ocr: [], captions: [{ image: 0, text: 'a phone on a table', backend: 'x' }] },
      1,
    );
    assert.deepEqual(picked[0]!.entities, [
      { text: 'iPhone', type: 'OTHER' },
      { text: 'Apple', type: 'ORG' },
    ]);
  });
});
