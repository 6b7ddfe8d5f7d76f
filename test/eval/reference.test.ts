// The evaluator against two independent scorers: a Perl script written from conlleval's chunk
// rules (streams tokens, conlleval's in-step bookkeeping) and nltk's conlltags2tree + ChunkScore.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDataset, readDataset, type Post } from '../../src/data/index.ts';
import { evaluate, seededRandom, type EvalResult } from '../../src/eval/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const PERL_REF = join(here, '../reference/conlleval_ref.pl');
const NLTK_REF = join(here, '../reference/nltk_ner_score.py');
const SHARED = process.env.EKMM_SHARED_DATA ?? resolve(here, '../../../shared/data');

interface RefScore {
  p: number;
  r: number;
  f1: number;
  perType: Record<string, { p: number; r: number; f1: number; support: number }>;
}

function haveNltk(): string | null {
  const py = spawnSync('python3', ['-c', 'import nltk'], { encoding: 'utf8' });
  if (py.error) return 'python3 is not installed';
  if (py.status !== 0) return 'python3 has no nltk (pip install -r requirements-test.txt)';
  return null;
}
const nltkMissing = haveNltk();
const perlMissing = spawnSync('perl', ['-MJSON::PP', '-e', '1']).status === 0 ? null : 'perl with JSON::PP is not installed';
// Under CI (scripts/test.sh installs both) a missing reference is a failure: the comparisons must run there.
if (process.env.CI && (nltkMissing || perlMissing)) throw new Error(`evaluator references missing under CI: ${nltkMissing ?? perlMissing}`);

function runRef(cmd: string, script: string, gold: string, pred: string): RefScore {
  const r = spawnSync(cmd, [script, gold, pred], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, `${cmd} ${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as RefScore;
}

function assertAgrees(ours: EvalResult, ref: RefScore, label: string): void {
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-4, `${label}: ${what} ours ${a} vs reference ${b}`);
  close(ours.p, ref.p, 'micro P');
  close(ours.r, ref.r, 'micro R');
  close(ours.f1, ref.f1, 'micro F1');
  assert.deepEqual(Object.keys(ours.perType).sort(), Object.keys(ref.perType).sort(), `${label}: entity types`);
  for (const [type, s] of Object.entries(ours.perType)) {
    const r = ref.perType[type]!;
    close(s.p, r.p, `${type} P`);
    close(s.r, r.r, `${type} R`);
    close(s.f1, r.f1, `${type} F1`);
    assert.equal(s.support, r.support, `${label}: ${type} support`);
  }
}

/** Scores gold/pred with ours and the available references, checking they agree. */
function compareWithReferences(t: TestContext, gold: Post[], pred: Post[], label: string, withNltk: boolean): EvalResult {
  if (perlMissing) t.diagnostic(`conlleval_ref.pl comparison skipped: ${perlMissing}`);
  if (withNltk && nltkMissing) t.diagnostic(`nltk comparison skipped: ${nltkMissing}`);
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-ref-'));
  try {
    const g = join(dir, 'gold.conll');
    const p = join(dir, 'pred.conll');
    writeFileSync(g, formatDataset(gold, 'conll'));
    writeFileSync(p, formatDataset(pred, 'conll'));
    const ours = evaluate(
      gold.map((x) => x.tags),
      pred.map((x) => x.tags),
      'conlleval',
    );
    if (!perlMissing) assertAgrees(ours, runRef('perl', PERL_REF, g, p), `${label} vs conlleval_ref.pl`);
    if (withNltk && !nltkMissing) assertAgrees(ours, runRef('python3', NLTK_REF, g, p), `${label} vs nltk`);
    return ours;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function randomTag(random: () => number, types: string[], prefixes: string[]): string {
  if (random() < 0.45) return 'O';
  const prefix = prefixes[Math.floor(random() * prefixes.length)]!;
  return `${prefix}-${types[Math.floor(random() * types.length)]!}`;
}

/** Replaces about `rate` of the tags with random ones, and sometimes a whole post's entity types. */
function perturb(posts: Post[], seed: number, rate: number, types: string[], prefixes = ['B', 'I']): Post[] {
  const random = seededRandom(seed);
  return posts.map((post) => ({
    ...post,
    tags: post.tags.map((tag) => (random() < rate ? randomTag(random, types, prefixes) : tag)),
  }));
}

function randomPosts(seed: number, count: number, types: string[], prefixes: string[]): Post[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const n = 1 + Math.floor(random() * 25);
    const tokens = Array.from({ length: n }, (_, k) => `w${i}_${k}`);
    return { id: String(i + 1), tokens, tags: tokens.map(() => randomTag(random, types, prefixes)), format: 'conll', line: 0 };
  });
}

test('both reference scorers give the hand-computed score on a small case', (t) => {
  // gold: [a b]PER, [d]LOC (I- after O), [e]ORG; pred: [a b]PER, [d]LOC, [e]LOC -> 2 of 3 right.
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-ref-'));
  try {
    const g = join(dir, 'gold.txt');
    const p = join(dir, 'pred.txt');
    writeFileSync(g, 'IMGID:1\na\tB-PER\nb\tI-PER\nc\tO\nd\tI-LOC\n\nIMGID:2\ne\tB-ORG\n');
    writeFileSync(p, 'IMGID:1\na\tB-PER\nb\tI-PER\nc\tO\nd\tB-LOC\n\nIMGID:2\ne\tB-LOC\n');
    const refs: [string, string, string | null][] = [
      ['perl', PERL_REF, perlMissing],
      ['python3', NLTK_REF, nltkMissing],
    ];
    for (const [cmd, script, missing] of refs) {
      if (missing) {
        t.diagnostic(`${script} skipped: ${missing}`);
        continue;
      }
      const r = runRef(cmd, script, g, p);
      assert.ok(Math.abs(r.f1 - 200 / 3) < 1e-9, `${script}: F1 ${r.f1}`);
      assert.equal(r.perType.LOC!.p, 50);
      assert.equal(r.perType.ORG!.support, 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const corpus of ['twitter2015', 'twitter2017']) {
  test(`${corpus} test split with perturbed predictions matches conlleval_ref.pl and nltk`, async (t) => {
    const file = join(SHARED, corpus, 'test.txt');
    if (!existsSync(file)) {
      t.skip(`${file} is absent (the shared research data is not on this machine)`);
      return;
    }
    const gold = (await readDataset(file)).posts;
    const types = [...new Set(gold.flatMap((p) => p.tags.filter((x) => x !== 'O').map((x) => x.slice(2))))];
    for (const [seed, rate] of [
      [1, 0.05],
      [2, 0.2],
    ] as const) {
      const ours = compareWithReferences(t, gold, perturb(gold, seed, rate, types), `${corpus} seed ${seed}`, true);
      assert.ok(ours.f1 > 5 && ours.f1 < 100, `perturbation should change the score, got ${ours.f1}`);
    }
  });
}

test('random BIO sequences (with I- after O and type changes) match both references', (t) => {
  const types = ['PER', 'LOC', 'ORG', 'OTHER', 'MISC'];
  for (const seed of [11, 12]) {
    const gold = randomPosts(seed, 300, types, ['B', 'I']);
    const pred = perturb(gold, seed + 100, 0.3, types);
    const ours = compareWithReferences(t, gold, pred, `random BIO seed ${seed}`, true);
    assert.ok(ours.counts.goldEntities > 500, 'expected ours.counts.goldEntities > 500');
  }
});

test('random IOBES sequences match conlleval_ref.pl', (t) => {
  if (perlMissing) return void t.skip(perlMissing);
  const types = ['PER', 'LOC', 'ORG'];
  const prefixes = ['B', 'I', 'E', 'S'];
  const gold = randomPosts(21, 300, types, prefixes);
  compareWithReferences(t, gold, perturb(gold, 22, 0.3, types, prefixes), 'random IOBES', false);
});
