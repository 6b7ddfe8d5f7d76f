// `ekmm eval` runs as a user runs them: through bin/ekmm.js in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ekmm } from '../support/cli.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GOLD = 'IMGID:1\nJohn\tB-PER\nSmith\tI-PER\nin\tO\nParis\tB-LOC\n\nIMGID:2\nApple\tB-ORG\nsays\tO\nhi\tI-MISC\n\n';
const PRED = 'IMGID:1\nJohn\tB-PER\nSmith\tI-PER\nin\tO\nParis\tB-ORG\n\nIMGID:2\nApple\tB-ORG\nsays\tO\nhi\tO\n\n';

test('ekmm eval: conlleval report, JSON with CI, strict mode, comparison and alignment errors', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const gold = join(dir, 'gold.txt');
  const pred = join(dir, 'pred.txt');
  writeFileSync(gold, GOLD);
  writeFileSync(pred, PRED);
  const report = ekmm('eval', '--gold', gold, '--pred', pred);
  assert.equal(report.code, 0, report.err);
  assert.match(report.out, /processed 7 tokens with 4 phrases; found: 3 phrases; correct: 2\./);
  assert.match(report.out, /precision: {2}66\.67%; recall: {2}50\.00%; FB1: {2}57\.14/);

  const json = ekmm('eval', '--gold', gold, '--pred', pred, '--json', '--bootstrap', '200');
  const r = JSON.parse(json.out);
  assert.equal(r.unit, 'percent');
  assert.ok(Math.abs(r.f1 - 400 / 7) < 1e-9, 'expected Math.abs(r.f1 - 400 / 7) < 1e-9');
  assert.deepEqual(r.perType.PER, { p: 100, r: 100, f1: 100, support: 1, predicted: 1, correct: 1 });
  assert.equal(r.ci95.length, 2);
  assert.ok(r.ci95[0] <= r.ci95[1], 'expected r.ci95[0] <= r.ci95[1]');

  // Strict: the gold I-MISC after O is no entity, so recall is 2 of 3.
  const strict = JSON.parse(ekmm('eval', '--gold', gold, '--pred', pred, '--json', '--mode', 'strict').out);
  assert.equal(strict.counts.goldEntities, 3);
  assert.equal(strict.mode, 'strict');

  const cmp = ekmm('eval', '--gold', gold, '--pred', gold, '--compare', pred, '--bootstrap', '100');
  assert.match(cmp.out, /paired bootstrap \(100 samples, seed 12345\): F1 100\.00 \(pred\) vs 57\.14 \(compare\), delta 42\.86, p = /);

  const other = join(dir, 'other.txt');
  writeFileSync(other, PRED.replace('Apple', 'Pear'));
  const bad = ekmm('eval', '--gold', gold, '--pred', other);
  assert.equal(bad.code, 1);
  assert.match(
    bad.err,
    /post 2 \(gold id '2' at .*gold\.txt:7, pred id '2' at .*other\.txt:7\): token 1 is 'Apple' in gold but 'Pear' in pred/,
  );
  assert.equal(ekmm('eval', '--gold', gold).code, 2);
  assert.equal(ekmm('eval', '--gold', gold, '--pred', pred, '--mode', 'fuzzy').code, 2);
});
