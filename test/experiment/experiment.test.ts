// `ekmm experiment` on a tiny fixture dataset made here: the real engine (local ONNX tagger,
// recorded backends, the llm recognizer against the OpenAI emulator), the real evaluator.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../src/experiment/index.ts';
import { parsePlan } from '../../src/experiment/plan.ts';
import { OpenAiEmulator, completion, userText } from '../support/openai-emulator.ts';
import { ekmm } from '../support/cli.ts';

const POSTS: Array<[string, Array<[string, string]>]> = [
  [
    '101',
    [
      ['RT', 'O'],
      ['@obama', 'B-PER'],
      [':', 'O'],
      ['Barack', 'B-PER'],
      ['Obama', 'I-PER'],
      ['visits', 'O'],
      ['Berlin', 'B-LOC'],
      ['today', 'O'],
    ],
  ],
  [
    '102',
    [
      ['Apple', 'B-ORG'],
      ['opens', 'O'],
      ['a', 'O'],
      ['store', 'O'],
      ['in', 'O'],
      ['Paris', 'B-LOC'],
    ],
  ],
  [
    '103',
    [
      ['Great', 'O'],
      ['game', 'O'],
      ['by', 'O'],
      ['the', 'O'],
      ['Lakers', 'B-ORG'],
      ['tonight', 'O'],
      ['!', 'O'],
    ],
  ],
  [
    '104',
    [
      ['Watching', 'O'],
      ['Star', 'B-MISC'],
      ['Wars', 'I-MISC'],
      ['with', 'O'],
      ['Angela', 'B-PER'],
      ['Merkel', 'I-PER'],
    ],
  ],
  [
    '105',
    [
      ['No', 'O'],
      ['names', 'O'],
      ['here', 'O'],
      ['at', 'O'],
      ['all', 'O'],
    ],
  ],
  [
    '106',
    [
      ['London', 'B-LOC'],
      ['calling', 'O'],
      ['Taylor', 'B-PER'],
      ['Swift', 'I-PER'],
    ],
  ],
];

const conll = () => POSTS.map(([id, toks]) => `IMGID:${id}\n${toks.map(([t, g]) => `${t}\t${g}`).join('\n')}\n`).join('\n') + '\n';

/** What the "LLM" names: the gold entities, except that post 103 is recorded with none. */
function goldEntities(toks: Array<[string, string]>): Array<{ text: string; type: string }> {
  const out: Array<{ text: string; type: string }> = [];
  toks.forEach(([t, g]) => {
    if (g.startsWith('B-')) out.push({ text: t, type: g.slice(2) });
    else if (g.startsWith('I-')) out[out.length - 1]!.text += ` ${t}`;
  });
  return out;
}

describe('ekmm experiment', () => {
  let dir: string;
  let data: string;
  let emu: OpenAiEmulator;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ekmm-exp-'));
    data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'test.txt'), conll());
    // Post 104 is missing from the recording on purpose.
    const rec = POSTS.filter(([id]) => id !== '104').map(([id, toks]) => JSON.stringify({ id, entities: goldEntities(toks) }));
    writeFileSync(join(dir, 'recorded.jsonl'), rec.join('\n') + '\n');
    writeFileSync(
      join(dir, 'knowledge.jsonl'),
      POSTS.map(([id, toks]) =>
        JSON.stringify({
          id,
          text: `Named entities: ${goldEntities(toks)
            .map((e, i) => `${i + 1}. ${e.text} (${e.type})`)
            .join(' ')} Reasoning: recorded.`,
        }),
      ).join('\n') + '\n',
    );
    writeFileSync(join(dir, 'captions.txt'), POSTS.map(([id]) => `${id}.jpg :a photo of people in a city`).join('\n') + '\n');
    emu = await new OpenAiEmulator().start();
    // The live "LLM" answers the gold entities of whichever post it is shown.
    emu.otherwise((req) => {
      const text = userText(req);
      const post = POSTS.find(([, toks]) => text.includes(toks.map(([t]) => t).join(' ')));
      return completion(JSON.stringify({ entities: post ? goldEntities(post[1]) : [] }));
    });
  });
  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const recordedPlan = () =>
    parsePlan(
      `
name: fixture
split: test
baseline: text-only
bootstrap: { samples: 200, seed: 7 }
compare: [{ arm: llm-direct, against: knowledge }, { arm: vlm, against: knowledge }]
config: { ocr: { backend: none }, language: en, recognizer: { fallback: none } }
arms:
  - name: text-only
    config: { recognizer: { backends: [local] } }
  - name: knowledge
    config:
      captioner: { backend: recorded, recorded: { file: "${dir}/captions.txt" } }
      knowledge: { backend: recorded, recorded: { file: "${dir}/knowledge.jsonl" } }
      recognizer: { backends: [local] }
  - name: llm-direct
    config: { recognizer: { backends: [recorded], recorded: { file: "${dir}/recorded.jsonl" } } }
  - name: vlm
    when: { env: EKMM_TEST_NO_SUCH_VLM }
    config: { recognizer: { backends: [vlm] } }
`,
      'fixture.yaml',
    );

  const withoutTimings = (file: string) => readFileSync(file, 'utf8').replace(/"msPerPost": [0-9.e-]+/g, '"msPerPost": 0');

  test('a recorded run gives byte-identical results.json twice (timings aside), and is resumable', async () => {
    const a = join(dir, 'out-a');
    const b = join(dir, 'out-b');
    await runExperiment({ plan: recordedPlan(), planFile: 'fixture.yaml', data, out: a, env: {} });
    await runExperiment({ plan: recordedPlan(), planFile: 'fixture.yaml', data, out: b, env: {} });
    assert.equal(withoutTimings(join(a, 'results.json')), withoutTimings(join(b, 'results.json')));
    for (const f of ['report.md', 'errors.json', 'predictions/llm-direct.txt', 'predictions/knowledge.txt']) {
      assert.equal(
        readFileSync(join(a, f), 'utf8').replace(/\| [0-9.]+ \| 0 \| 0 \|/g, ''),
        readFileSync(join(b, f), 'utf8').replace(/\| [0-9.]+ \| 0 \| 0 \|/g, ''),
        f,
      );
    }
    const results = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8'));
    assert.deepEqual(
      results.arms.map((x: { name: string }) => x.name),
      ['text-only', 'knowledge', 'llm-direct'],
    );
    assert.deepEqual(results.skipped, [{ name: 'vlm', reason: 'environment variable EKMM_TEST_NO_SUCH_VLM is not set' }]);
    for (const arm of results.arms) {
      for (const key of ['f1', 'precision', 'recall', 'ci95', 'perType', 'pVsBaseline', 'posts', 'msPerPost', 'llmCalls', 'tokens'])
        assert.ok(key in arm, `${arm.name} has ${key}`);
      assert.equal(arm.posts, POSTS.length);
    }
    assert.match(
      readFileSync(join(a, 'report.md'), 'utf8'),
      /\*\*vlm\*\* was skipped: environment variable EKMM_TEST_NO_SUCH_VLM is not set/,
    );
    const html = readFileSync(join(a, 'report.html'), 'utf8');
    assert.match(html, /<svg[^>]*aria-label="F1 with 95% intervals per arm and type"/);
    assert.doesNotMatch(html, /<script|<link|src="http/, 'the report loads nothing from outside');

    const errors = JSON.parse(readFileSync(join(a, 'errors.json'), 'utf8')) as Array<{
      arm: string;
      against: string;
      byType: Record<string, { gains: number; losses: number }>;
    }>;
    assert.deepEqual(
      errors.map((c) => `${c.arm}>${c.against}`),
      ['knowledge>text-only', 'llm-direct>text-only', 'llm-direct>knowledge'],
    );
    // The recorded list has every entity but post 104's; the tagger misses some, so llm-direct gains over it.
    const gains = Object.values(errors[1]!.byType).reduce((n, t) => n + t.gains, 0);
    const losses = Object.values(errors[1]!.byType).reduce((n, t) => n + t.losses, 0);
    const textOnly = results.arms[0];
    const direct = results.arms[2];
    const gold = POSTS.flatMap(([, t]) => goldEntities(t)).length;
    const correct = (arm: { recall: number }) => Math.round((arm.recall * gold) / 100);
    assert.equal(gains - losses, correct(direct) - correct(textOnly), 'gains - losses = the difference in correct entities');

    // Resume: keep the header and two posts of one arm's cache; the rerun recomputes only the rest.
    const cache = join(a, 'cache', 'llm-direct.jsonl');
    const lines = readFileSync(cache, 'utf8').trim().split('\n');
    writeFileSync(cache, lines.slice(0, 3).join('\n') + '\n' + lines[3]!.slice(0, 10));
    const log: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (log.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await runExperiment({ plan: recordedPlan(), planFile: 'fixture.yaml', data, out: a, env: {} });
    } finally {
      process.stderr.write = write;
    }
    assert.match(log.join(''), /llm-direct: 6 posts \(2 from the cache, 4 run\)/);
    assert.match(log.join(''), /text-only: 6 posts \(6 from the cache, 0 run\)/);
    assert.equal(withoutTimings(join(a, 'results.json')), withoutTimings(join(b, 'results.json')));
  });

  test("an arm's F1 equals ekmm eval on its predictions file", async () => {
    const out = join(dir, 'out-a');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    for (const arm of results.arms) {
      const r = ekmm('eval', '--gold', join(data, 'test.txt'), '--pred', join(out, 'predictions', `${arm.name}.txt`), '--json');
      assert.equal(r.code, 0, r.err);
      const evaluated = JSON.parse(r.out);
      assert.ok(Math.abs(evaluated.f1 - arm.f1) < 1e-5, `${arm.name}: ${evaluated.f1} vs ${arm.f1}`);
      assert.ok(Math.abs(evaluated.p - arm.precision) < 1e-5 && Math.abs(evaluated.r - arm.recall) < 1e-5);
    }
  });

  test('posts missing from a recording are reported, counted and scored as no answer', async () => {
    const out = join(dir, 'out-a');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const direct = results.arms.find((x: { name: string }) => x.name === 'llm-direct');
    assert.equal(direct.noAnswer, 1);
    assert.deepEqual(direct.noAnswerIds, ['104']);
    assert.equal(direct.warnings['recorded.missing'], 1);
    assert.equal(direct.posts, 6, 'the post is scored, not skipped');
    // Every other post's entities are recorded exactly, so only post 104's two entities are missed.
    const gold = POSTS.flatMap(([, t]) => goldEntities(t)).length;
    assert.equal(direct.precision, 100);
    assert.ok(Math.abs(direct.recall - (100 * (gold - 2)) / gold) < 1e-5, `recall ${direct.recall}`);
    assert.equal(direct.perType.PER.support, 4);
    const predictions = readFileSync(join(out, 'predictions', 'llm-direct.txt'), 'utf8');
    assert.match(predictions, /IMGID:104\nWatching\tO\nStar\tO\nWars\tO\nwith\tO\nAngela\tO\nMerkel\tO\n/);
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\*\*llm-direct\*\*: 1 post\(s\), e\.g\. 104/);
    // MISC is written back as the dataset spells it, so ekmm eval needs no --map-types.
    for (const arm of ['text-only', 'knowledge', 'llm-direct'])
      assert.doesNotMatch(readFileSync(join(out, 'predictions', `${arm}.txt`), 'utf8'), /OTHER/);
    assert.match(predictions, /IMGID:104[\s\S]*IMGID:106\nLondon\tB-LOC/);
  });

  test('a live llm arm counts calls and tokens, records its answers with --record, and the recording replays to the same predictions', async () => {
    const plan = parsePlan(
      `
split: test
baseline: live
config: { ocr: { backend: none }, language: en, recognizer: { fallback: none } }
arms:
  - name: live
    config: { recognizer: { backends: [llm], llm: { baseURL: "${emu.baseURL}", model: emu-model, retries: 0 } } }
`,
      'live.yaml',
    );
    const out = join(dir, 'out-live');
    const recordDir = join(dir, 'rec');
    await runExperiment({ plan, planFile: 'live.yaml', data, out, record: recordDir, env: {} });
    const live = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).arms[0];
    assert.equal(live.llmCalls, 6);
    assert.equal(live.tokens.total, 6 * 20);
    assert.equal(live.f1, 100);
    const recording = join(recordDir, 'data', 'live.llm.jsonl');
    assert.ok(existsSync(recording));
    assert.equal(readFileSync(recording, 'utf8').trim().split('\n').length, 6);
    const replay = parsePlan(
      `
split: test
baseline: replay
config: { ocr: { backend: none }, language: en, recognizer: { fallback: none } }
arms:
  - name: replay
    config: { recognizer: { backends: [recorded], recorded: { file: "${recording}" } } }
`,
      'replay.yaml',
    );
    const out2 = join(dir, 'out-replay');
    const calls = emu.chatRequests.length;
    await runExperiment({ plan: replay, planFile: 'replay.yaml', data, out: out2, env: {} });
    assert.equal(emu.chatRequests.length, calls, 'the replay asks no model');
    assert.equal(readFileSync(join(out2, 'predictions', 'replay.txt'), 'utf8'), readFileSync(join(out, 'predictions', 'live.txt'), 'utf8'));
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the plan syntax ${var} is what this test is about
  test('plan mistakes are named: unknown baseline, unknown ${var}, missing split', async () => {
    assert.throws(
      () => parsePlan('split: test\nbaseline: x\narms: [{ name: a }]\n', 'p.yaml'),
      /p\.yaml: invalid plan:[\s\S]*baseline "x" is none of the arms \(a\)/,
    );
    assert.throws(() => parsePlan('split: test\nbaseline: a\narms: [{ name: a }, { name: a }]\n', 'p.yaml'), /arm "a" is named twice/);
    assert.throws(
      () => parsePlan('split: test\nbaseline: a\ncompare: [{ arm: a, against: b }]\narms: [{ name: a }]\n', 'p.yaml'),
      /"compare\.0": "b" is none of the arms/,
    );
    const plan = parsePlan(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a plan placeholder, not a template
      'split: test\nbaseline: a\narms: [{ name: a, config: { captioner: { backend: recorded, recorded: { file: "${nope}" } } } }]\n',
      'p.yaml',
    );
    await assert.rejects(
      runExperiment({ plan, planFile: 'p.yaml', data, out: join(dir, 'out-bad'), env: {} }),
      /arm a: unknown \$\{nope\}/,
    );
    const valid = parsePlan('split: valid\nbaseline: a\narms: [{ name: a }]\n', 'p.yaml');
    await assert.rejects(
      runExperiment({ plan: valid, planFile: 'p.yaml', data, out: join(dir, 'out-bad'), env: {} }),
      /has no valid split/,
    );
  });
});
