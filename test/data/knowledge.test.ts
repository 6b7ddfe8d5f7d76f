import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attachKnowledge,
  bioViolationPositions,
  bioViolations,
  DataFormatError,
  mapTagTypes,
  parseDataset,
  parseKnowledge,
  parseKnowledgeEntities,
  repairBio,
  conllevalChunks,
  strictChunks,
} from '../../src/data/index.ts';

/** A PGIM knowledge item: post lines, <EOS>, the LLM text one word per line, CRLF like the release. */
function item(tokens: string[], text: string): string {
  const lines = [...tokens.map((t) => `${t}\tO`), '<EOS>\tX', ...text.split(' ').map((w) => `${w}\tX`), ''];
  return lines.join('\r\n') + '\r\n';
}

const SPLIT = 'IMGID:1\nJohn\tB-PER\nhere\tO\n\nIMGID:2\nin\tO\nParis\tB-LOC\n\nIMGID:3\nhello\tO\n\nIMGID:4\nbye\tO\n';

test('knowledge attaches by order; a mismatched and a missing item are reported, not guessed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-know-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'test.txt');
  writeFileSync(
    file,
    item(['John', 'here'], 'Named entities:1. John (person)Reasoning:The post names John.') +
      item(['in', 'London'], 'Named entities:1. London (place)Reasoning:x') +
      item(['hello'], 'There are no named entities.'),
  );
  const posts = parseDataset(SPLIT, 'split.txt').posts;
  const a = await attachKnowledge(posts, file);
  assert.deepEqual(a.knowledge, [
    'Named entities:1. John (person)Reasoning:The post names John.',
    null,
    'There are no named entities.',
    null,
  ]);
  assert.deepEqual(
    a.problems.map((p) => [p.index, p.id]),
    [
      [1, '2'],
      [3, '4'],
    ],
  );
  assert.match(a.problems[0]!.reason, /token 1 is 'Paris' in the post but 'London' in the knowledge/);
  assert.match(a.problems[1]!.reason, /no knowledge item \(the file has 3\)/);
  assert.equal(a.items[2]!.line, 20);

  // A surplus item (more knowledge than posts) is reported too.
  const extra = await attachKnowledge(posts.slice(0, 1), file);
  assert.deepEqual(
    extra.problems.map((p) => [p.index, p.id]),
    [
      [1, null],
      [2, null],
    ],
  );
});

test('malformed knowledge files raise with file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-know-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'k.txt');
  writeFileSync(file, 'a\tO\r\nno-tab-here\r\n<EOS>\tX\r\nwords\tX\r\n\r\nb\tO\r\n');
  await assert.rejects(
    attachKnowledge([], file),
    (e: Error) =>
      e instanceof DataFormatError &&
      /k\.txt:2: expected 'token<TAB>tag'/.test(e.message) &&
      /k\.txt:6: knowledge item has no <EOS>/.test(e.message),
  );
  const { items } = parseKnowledge('a\tO\n<EOS>\tX\n\n', 'x');
  assert.deepEqual(
    items.map((i) => [i.tokens, i.text]),
    [[['a'], '']],
  );
});

test('the Named entities list parses into (name, type) pairs in both spacings', () => {
  const joined = parseKnowledgeEntities(
    'Named entities:1. ThePatriot143 (person/handle)2. Keystone Pipeline (project/unknown entity)3. Kokomo Post 6 (team)Reasoning:The sentence mentions 2. things.',
  );
  assert.deepEqual(joined.entities, [
    { name: 'ThePatriot143', type: 'person/handle' },
    { name: 'Keystone Pipeline', type: 'project/unknown entity' },
    { name: 'Kokomo Post 6', type: 'team' },
  ]);
  assert.equal(joined.reasoning, 'The sentence mentions 2. things.');
  const spaced = parseKnowledgeEntities('Named Entities: 1. Rep. Diane Black (person/position) 2. NRA (organization) Reasoning: x');
  assert.deepEqual(
    spaced.entities.map((e) => e.name),
    ['Rep. Diane Black', 'NRA'],
  );
  assert.deepEqual(parseKnowledgeEntities('Named entity: Harley Reasoning: y').entities, [{ name: 'Harley', type: '' }]);
  assert.deepEqual(parseKnowledgeEntities('There are no named entities in the sentence.').entities, []);
  assert.deepEqual(parseKnowledgeEntities('Named entities: Reasoning: none').entities, []);
});

test('BIO helpers: violations, repair to the conlleval reading, type mapping', () => {
  const tags = ['O', 'I-PER', 'I-PER', 'B-LOC', 'I-ORG', 'E-ORG', 'B-PER', 'I-PER'];
  assert.deepEqual(bioViolationPositions(tags), [1, 4]);
  assert.equal(bioViolations(tags), 2);
  const repaired = repairBio(tags);
  assert.deepEqual(repaired, ['O', 'B-PER', 'I-PER', 'B-LOC', 'B-ORG', 'E-ORG', 'B-PER', 'I-PER']);
  assert.equal(bioViolations(repaired), 0);
  // Repairing turns the lenient reading into one a strict reader agrees with.
  assert.deepEqual(conllevalChunks(tags), conllevalChunks(repaired));
  assert.deepEqual(strictChunks(['O', 'B-PER', 'I-PER']), conllevalChunks(['O', 'I-PER', 'I-PER']));
  assert.deepEqual(mapTagTypes(['B-MISC', 'I-MISC', 'O', 'B-PER']), ['B-OTHER', 'I-OTHER', 'O', 'B-PER']);
  assert.deepEqual(mapTagTypes(['B-GPE'], { GPE: 'LOC' }), ['B-LOC']);
});

test('"None" answers and full-width parentheses', () => {
  assert.deepEqual(parseKnowledgeEntities('Named entities: None. Reasoning: nothing').entities, []);
  assert.deepEqual(parseKnowledgeEntities('Named entities: There are no named entities here. Reasoning: x').entities, []);
  assert.deepEqual(parseKnowledgeEntities('Named entities:1. Samurai（Person）2. Chosyu clan (organization)Reasoning: x').entities, [
    { name: 'Samurai', type: 'Person' },
    { name: 'Chosyu clan', type: 'organization' },
  ]);
  assert.deepEqual(
    parseKnowledgeEntities('Named entities: 1. Daily Cal (newspaper) 2. Police 3. Eshleman Hall (building) Reasoning: x').entities,
    [
      { name: 'Daily Cal', type: 'newspaper' },
      { name: 'Police', type: '' },
      { name: 'Eshleman Hall', type: 'building' },
    ],
  );
});
