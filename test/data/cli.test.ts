// `ekmm data` runs as a user runs them: through bin/ekmm.js in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ekmm } from '../support/cli.ts';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GOLD = 'IMGID:1\nJohn\tB-PER\nSmith\tI-PER\nin\tO\nParis\tB-LOC\n\nIMGID:2\nApple\tB-ORG\nsays\tO\nhi\tI-MISC\n\n';

test('ekmm data stats / check / convert on a dataset directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'train.txt'), GOLD);
  writeFileSync(join(dir, 'dev.txt'), 'IMGID:9\nok\tO\nbad line\n');
  const text = ekmm('data', 'stats', dir);
  assert.equal(text.code, 1, text.err);
  assert.match(
    text.out,
    /train \(train\.txt\): 2 posts, 7 tokens, 4 entities \(LOC 1, MISC 1, ORG 1, PER 1\), 1 BIO violations in 1 posts/,
  );
  assert.match(text.out, /valid \(dev\.txt\): 1 posts, 1 tokens, 0 entities \(none\), 0 BIO violations in 0 posts, 1 malformed lines/);
  const json = ekmm('data', 'stats', join(dir, 'train.txt'), '--json', '--map-types', 'MISC=OTHER');
  assert.equal(json.code, 0, json.err);
  const stats = JSON.parse(json.out)['train.txt'];
  assert.deepEqual([stats.format, stats.posts, stats.entities], ['twitter', 2, { LOC: 1, ORG: 1, OTHER: 1, PER: 1 }]);
  const check = ekmm('data', 'check', join(dir, 'dev.txt'));
  assert.equal(check.code, 1);
  assert.match(check.out, /dev\.txt:3: expected 2 columns/);
  const conv = ekmm('data', 'convert', join(dir, 'train.txt'), join(dir, 'train.jsonl'), '--to', 'jsonl');
  assert.equal(conv.code, 0, conv.err);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'train.jsonl'), 'utf8').split('\n')[1]!), {
    id: '2',
    tokens: ['Apple', 'says', 'hi'],
    tags: ['B-ORG', 'O', 'I-MISC'],
  });
  assert.equal(ekmm('data', 'stats').code, 2);
});
