// The tagger in worker threads (recognizer.local.workerThreads): the same tags and entities as
// in-process, and a job no longer wanted (signal aborted, deadline passed) does not keep a worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { projectPath } from '../../src/config/load.ts';
import { Tagger } from '../../src/recognizers/local/tagger.ts';
import { TaggerCancelledError, TaggerWorkerPool } from '../../src/recognizers/local/tagger-pool.ts';
import { LocalRecognizer, type LocalRecognizerOptions } from '../../src/recognizers/local/recognizer.ts';
import { tokenizeEnglish } from '../../src/recognizers/local/tokenize.ts';
import type { RecognizerInput } from '../../src/core/stages.ts';

const EN = projectPath('models/ner-en');
const ZH = projectPath('models/ner-zh');
const words = (s: string) => tokenizeEnglish(s).map((t) => t.text);

const POSTS = [
  'President Barack Obama spoke to reporters at the White House on Monday .',
  'Great night out in London with the whole team !',
  'RT @nytimes : Apple unveils the new iPhone in Cupertino #apple',
  'Taylor Swift plays Madison Square Garden tonight , see you there',
  'Smash Shiba is stoked for the Grand Finals',
  'lol',
  'Manchester United beat Arsenal 2-1 at Old Trafford',
  'Angela Merkel meets Emmanuel Macron in Berlin to talk about the European Union',
];

/** Deterministic word salad from the posts: many lengths, one past the model's sequence maximum. */
function salad(count: number, seed = 7): string[][] {
  const vocab = POSTS.flatMap(words);
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: count }, (_, i) => {
    const n = i === 0 ? 700 : 1 + (next() % 40);
    return Array.from({ length: n }, () => vocab[next() % vocab.length]!);
  });
}

let inProcess: Tagger;
let pool: TaggerWorkerPool;

before(async () => {
  inProcess = await Tagger.load(EN);
  pool = await TaggerWorkerPool.start(EN, 1);
});

after(async () => {
  await inProcess.close();
  await pool.close();
});

test('tagger pool: the same tags as the in-process tagger, with and without knowledge', async () => {
  const sequences = [...POSTS.map(words), ...salad(120)];
  assert.ok(
    sequences.some((s) => s.length > inProcess.manifest.max.tokens_per_sequence),
    'one sequence is cut into pieces',
  );
  const knowledge = sequences.map((_, i) =>
    i % 3 === 0 ? 'Named entities: 1. Smash Shiba (person/player) 2. Apple (organization)' : null,
  );
  const captions = sequences.map((_, i) => (i % 5 === 0 ? 'a man in a suit at a podium' : null));
  assert.deepEqual(await pool.tag(sequences), await inProcess.tag(sequences));
  assert.deepEqual(await pool.tag(sequences, knowledge, captions), await inProcess.tag(sequences, knowledge, captions));
  // and something was found, so the comparison is not of empty answers
  assert.ok((await pool.tag([words(POSTS[0]!)]))[0]!.includes('B-PER'));
});

test('tagger pool: Chinese model, characters in, the same tags', async () => {
  const zhPool = await TaggerWorkerPool.start(ZH, 2);
  const zh = await Tagger.load(ZH);
  try {
    const texts = ['我今天在北京见到了刘德华。', '马云在杭州创办了阿里巴巴', '周杰伦的演唱会在上海举行', '今天天气很好'];
    const sequences = texts.map((t) => Array.from(t));
    const [a, b] = await Promise.all([zhPool.tag(sequences), zhPool.tag(sequences.slice(1))]);
    const expected = await zh.tag(sequences);
    assert.deepEqual(a, expected);
    assert.deepEqual(b, expected.slice(1));
    assert.ok(expected[0]!.some((t) => t.startsWith('B-')));
  } finally {
    await zhPool.close();
    await zh.close();
  }
});

const base: LocalRecognizerOptions = {
  models: { en: EN, zh: ZH },
  // inputs with knowledge go to the dedicated knowledge model: the workers must route the same way
  knowledgeModels: { en: projectPath('models/ner-en-knowledge') },
  tagOcr: true,
  tagCaptions: false,
  typeAliases: { MISC: 'OTHER' },
  entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
};

test('LocalRecognizer: workerThreads 1 gives the same entities as in-process (text, OCR, mixed scripts, knowledge model)', async () => {
  const box: RecognizerInput['ocr'][number]['box'] = [
    [0, 0],
    [1, 0],
    [1, 1],
    [0, 1],
  ];
  const inputs: RecognizerInput[] = [
    ...POSTS.map((text): RecognizerInput => ({ text, language: 'en', ocr: [], captions: [] })),
    {
      text: 'Smash Shiba is stoked for the Grand Finals',
      language: 'en',
      ocr: [],
      captions: [],
      knowledge: 'Named entities: 1. Smash Shiba (person/player)',
    },
    {
      text: 'President  Barack Obama spoke in London today.',
      language: 'en',
      ocr: [{ image: 0, text: '我今天在北京见到了刘德华。', box, score: 0.9 }],
      captions: [],
    },
    { text: '昨天 Taylor Swift 在上海开演唱会', language: 'zh', ocr: [], captions: [], knowledge: 'Named entities: Taylor Swift (person)' },
  ];
  const local = new LocalRecognizer(base);
  const workers = new LocalRecognizer({ ...base, workerThreads: 1 });
  try {
    const expected = await local.recognize(inputs);
    assert.ok(expected.flatMap((o) => o.entities).length >= 8, JSON.stringify(expected));
    assert.deepEqual(await workers.recognize(inputs), expected);
  } finally {
    await local.close();
    await workers.close();
  }
});

test('tagger pool: an aborted signal or a passed deadline cancels; a queued job never reaches the worker', async () => {
  await assert.rejects(pool.tag([words('Barack Obama')], [], [], { signal: AbortSignal.abort() }), TaggerCancelledError);
  await assert.rejects(pool.tag([words('Barack Obama')], [], [], { deadline: Date.now() - 1 }), TaggerCancelledError);
  const before = pool.stats().skipped;
  const big = salad(3000, 11);
  const running = pool.tag(big);
  const queued = new AbortController();
  const second = pool.tag([words('Barack Obama')], [], [], { signal: queued.signal });
  queued.abort();
  await assert.rejects(second, (err: unknown) => err instanceof TaggerCancelledError && !err.started);
  assert.equal(pool.stats().skipped, before + 1);
  assert.equal((await running).length, big.length);
});

test('tagger pool: a running job past its deadline frees the worker after one batch, long before it would finish', async () => {
  const big = salad(4000, 3);
  let started = performance.now();
  await pool.tag(big);
  const wholeMs = performance.now() - started;
  const stoppedBefore = pool.stats().stopped;
  started = performance.now();
  const cut = pool.tag(big, [], [], { deadline: Date.now() + Math.max(5, wholeMs / 10) });
  await assert.rejects(cut, (err: unknown) => err instanceof TaggerCancelledError && err.started);
  // the next job runs on the same (only) worker: it waits for the stop, not for the whole job
  const [tags] = await pool.tag([words('Barack Obama visited London')]);
  const freedMs = performance.now() - started;
  assert.deepEqual(tags!.slice(0, 2), ['B-PER', 'I-PER']);
  assert.equal(pool.stats().stopped, stoppedBefore + 1);
  assert.ok(freedMs < wholeMs * 0.6, `worker free after ${freedMs.toFixed(0)} ms; the whole job takes ${wholeMs.toFixed(0)} ms`);
  assert.equal(pool.stats().busy, 0);
});
