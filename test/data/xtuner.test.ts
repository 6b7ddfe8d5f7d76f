// `ekmm export xtuner` on tiny fixtures: the command runs as a user runs it (bin/ekmm.js in a
// child process) and every JSONL line it writes is parsed back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attachKnowledgeItems, parseDataset, parseKnowledge } from '../../src/data/index.ts';
import { buildXtunerExport, postText, UnknownEntityTypeError, type XtunerExportOptions } from '../../src/data/xtuner.ts';
import { cmnerSplit, twitterCaptions, twitterSplit } from '../finetune/fixtures.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

function ekmm(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/ekmm.js'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Turn {
  system?: string;
  input: string;
  output: string;
}

/** Parses every line and checks XTuner's single-turn shape; returns the turns. */
function readTurns(file: string): Turn[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), "expected text.endsWith('\\n')");
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const rec = JSON.parse(line) as { conversation: Turn[] };
      assert.deepEqual(Object.keys(rec), ['conversation'], `line ${i + 1}`);
      assert.equal(rec.conversation.length, 1, `line ${i + 1}`);
      const turn = rec.conversation[0]!;
      assert.deepEqual(Object.keys(turn), ['system', 'input', 'output'], `line ${i + 1}`);
      for (const v of Object.values(turn)) assert.equal(typeof v, 'string');
      return turn;
    });
}

// The first three Twitter posts (102: an I-LOC right after O, "Obama" twice; 103: no entity) and
// the first two CMNER posts (CRLF, one character a line, MISC), from the shared fixtures.
const TWITTER = twitterSplit(3);
const CAPTIONS = twitterCaptions(3);
const CMNER = cmnerSplit(2);

// The legacy shape: --format conversation with the llm recognizer's generic prompt (the defaults
// are now messages and the mner-sft template; see test/finetune/).
const LEGACY = ['--format', 'conversation', '--prompt', 'recognizer'];

test('export xtuner (ner): Twitter split with captions, --format conversation --prompt recognizer', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-xtuner-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'train.txt'), TWITTER);
  writeFileSync(join(dir, 'captions.txt'), CAPTIONS);
  const out = join(dir, 'out.jsonl');
  const r = ekmm(
    'export',
    'xtuner',
    '--input',
    join(dir, 'train.txt'),
    '--output',
    out,
    '--captions',
    join(dir, 'captions.txt'),
    ...LEGACY,
  );
  assert.equal(r.code, 0, r.err);
  const turns = readTurns(out);
  assert.equal(turns.length, 3);
  // The system text is the llm recognizer's, and the answer is the JSON it asks for.
  assert.match(turns[0]!.system!, /named entity recognizer/);
  assert.match(turns[0]!.system!, /\{"entities": \[/);
  assert.match(
    turns[0]!.input,
    /^Message text:\nRT @BarackObama visits New York City\n\nImage descriptions:\n1\. a man waving from a car\n/,
  );
  assert.match(turns[0]!.input, /Language: English/);
  assert.deepEqual(JSON.parse(turns[0]!.output), {
    entities: [
      { text: '@BarackObama', type: 'PER' },
      { text: 'New York City', type: 'LOC' },
    ],
  });
  // I-LOC after O starts an entity (conlleval); the repeated "Obama" is listed once.
  assert.deepEqual(JSON.parse(turns[1]!.output), {
    entities: [
      { text: 'Obama', type: 'PER' },
      { text: 'Paris', type: 'LOC' },
      { text: 'COP21', type: 'OTHER' },
    ],
  });
  assert.match(turns[1]!.input, /two men shaking hands/);
  assert.deepEqual(JSON.parse(turns[2]!.output), { entities: [] });
  assert.match(r.err, /wrote 3 of 3 records/);
  assert.match(r.err, /entities: 6 \(LOC 2, OTHER 1, PER 3\), 1 repeats listed once/);
  assert.match(r.err, /invalid BIO: 1 I- tags continuing no entity, in 1 posts/);

  // Plain prompt: post text, an "Image:" line, a bare JSON list; --system replaces the system text.
  const plain = join(dir, 'plain.jsonl');
  const p = ekmm(
    'export',
    'xtuner',
    '--input',
    join(dir, 'train.txt'),
    '--output',
    plain,
    '--captions',
    join(dir, 'captions.txt'),
    '--format',
    'conversation',
    '--prompt',
    'plain',
    '--system',
    'Tag entities.',
  );
  assert.equal(p.code, 0, p.err);
  const plainTurns = readTurns(plain);
  assert.equal(plainTurns[0]!.input, 'RT @BarackObama visits New York City\nImage: a man waving from a car');
  assert.equal(plainTurns[0]!.system, 'Tag entities.');
  assert.equal(plainTurns[0]!.output, '[{"text":"@BarackObama","type":"PER"},{"text":"New York City","type":"LOC"}]');
});

test('export xtuner: CMNER (CRLF) joins characters without spaces and maps MISC to OTHER', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-xtuner-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'dev.txt'), CMNER);
  const out = join(dir, 'out.jsonl');
  const r = ekmm('export', 'xtuner', '--input', join(dir, 'dev.txt'), '--output', out, '--map-types', 'MISC=OTHER', ...LEGACY);
  assert.equal(r.code, 0, r.err);
  const bytes = readFileSync(out);
  assert.ok(bytes.includes(Buffer.from('北京', 'utf8')), 'CJK is written as UTF-8, not \\u escapes');
  const turns = readTurns(out);
  assert.equal(turns.length, 2);
  assert.match(turns[0]!.input, /^Message text:\n我在北京看春晚\n/);
  assert.match(turns[0]!.input, /Language: Chinese/);
  assert.doesNotMatch(turns[0]!.input, /Image descriptions/);
  assert.deepEqual(JSON.parse(turns[0]!.output).entities, [
    { text: '北京', type: 'LOC' },
    { text: '春晚', type: 'OTHER' },
  ]);
  assert.deepEqual(JSON.parse(turns[1]!.output).entities, [
    { text: '马云', type: 'PER' },
    { text: '阿里巴巴', type: 'ORG' },
  ]);
});

// PGIM knowledge: the post's token lines, <EOS>, the LLM's words tagged X. Only post 101 has one.
const KNOWLEDGE =
  [
    'RT\tO',
    '@BarackObama\tB-PER',
    'visits\tO',
    'New\tB-LOC',
    'York\tI-LOC',
    'City\tI-LOC',
    '<EOS>\tX',
    'Named\tX',
    'entities:\tX',
    '1.\tX',
    'Barack\tX',
    'Obama\tX',
    '(person)\tX',
    '',
  ].join('\n') + '\n';

test('export xtuner (knowledge): a missing knowledge item stops the export unless --allow-missing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-xtuner-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'train.txt'), TWITTER);
  writeFileSync(join(dir, 'captions.txt'), CAPTIONS);
  writeFileSync(join(dir, 'knowledge.txt'), KNOWLEDGE);
  const out = join(dir, 'out.jsonl');
  const args = [
    'export',
    'xtuner',
    '--input',
    join(dir, 'train.txt'),
    '--output',
    out,
    '--task',
    'knowledge',
    '--knowledge',
    join(dir, 'knowledge.txt'),
    '--captions',
    join(dir, 'captions.txt'),
    '--format',
    'conversation',
  ];
  const refused = ekmm(...args);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /2 problem\(s\)/);
  assert.match(refused.err, /post 2 \(id 102\): no knowledge item \(the file has 1\)/);
  assert.match(refused.err, /post 3 \(id 103\): no knowledge item/);
  assert.equal(existsSync(out), false, 'nothing is written when inputs are missing');

  const partial = ekmm(...args, '--allow-missing');
  assert.equal(partial.code, 0, partial.err);
  assert.match(partial.err, /wrote 1 of 3 records/);
  assert.match(partial.err, /skipped 2 posts: 102, 103/);
  const turns = readTurns(out);
  assert.equal(turns.length, 1);
  assert.equal(turns[0]!.output, 'Named entities: 1. Barack Obama (person)');
  assert.equal(turns[0]!.input, 'Text: RT @BarackObama visits New York City\nImage: a man waving from a car');
  assert.match(turns[0]!.system!, /Named entities: 1\. <name> \(<type>\)/);

  assert.equal(ekmm('export', 'xtuner', '--input', join(dir, 'train.txt'), '--output', out, '--task', 'knowledge').code, 2);
});

const OPTIONS: XtunerExportOptions = {
  task: 'ner',
  prompt: 'plain',
  entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
  typeMap: { MISC: 'OTHER' },
};

test('buildXtunerExport: knowledge token mismatches, missing captions and unknown types are reported', () => {
  const posts = parseDataset(TWITTER, 'train.txt').posts;
  // Item 1 repeats other tokens than post 102, and item 3 has no post: neither is attached.
  const knowledgeText =
    KNOWLEDGE +
    [
      'Obama\tB-PER',
      'went\tO',
      '<EOS>\tX',
      'k2\tX',
      '',
      'nothing\tO',
      'here\tO',
      '<EOS>\tX',
      'k3\tX',
      '',
      'extra\tO',
      '<EOS>\tX',
      'k4\tX',
      '',
    ].join('\n') +
    '\n';
  const attached = attachKnowledgeItems(posts, parseKnowledge(knowledgeText, 'k.txt').items);
  const mismatch = buildXtunerExport(posts, { ...OPTIONS, knowledge: attached.knowledge, knowledgeProblems: attached.problems });
  assert.deepEqual(mismatch.recordIds, ['101', '103']);
  assert.deepEqual(
    mismatch.problems.map((p) => p.id),
    ['102', null],
  );
  assert.match(mismatch.problems[0]!.reason, /tokens differ/);
  assert.equal(mismatch.records[1]!.conversation[0]!.input, 'nothing here\nKnowledge: k3');

  const noCaption = buildXtunerExport(posts, {
    ...OPTIONS,
    captions: new Map([
      ['101', 'c1'],
      ['103', 'c3'],
    ]),
  });
  assert.deepEqual(noCaption.problems, [{ index: 1, id: '102', reason: "no caption for image '102'" }]);
  assert.deepEqual(noCaption.recordIds, ['101', '103']);

  const cmner = parseDataset(CMNER, 'dev.txt').posts;
  assert.equal(postText(cmner[0]!), '我在北京看春晚');
  assert.throws(
    () => buildXtunerExport(cmner, { ...OPTIONS, typeMap: {} }),
    (err: unknown) => err instanceof UnknownEntityTypeError && /MISC \(e\.g\. post 4455\)/.test(err.message),
  );
});
