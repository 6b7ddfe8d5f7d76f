import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataFormatError,
  detectFormat,
  findSplits,
  formatDataset,
  listPostImages,
  parseDataset,
  readCaptions,
  readDataset,
  writeDataset,
} from '../../src/data/index.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const TWITTER = 'IMGID:101\nRT\tO\nJohn\tB-PER\nSmith\tI-PER\n\nIMGID:102\nin\tO\nParis\tB-LOC\n';
const CMNER = 'WID:Lab12\r\n北\tB-LOC\r\n京\tI-LOC\r\n好\tO\r\nWID:Lcd34\r\n苹\tB-ORG\r\n果\tI-ORG\r\n\r\n\r\n';

test('Twitter file: posts, ids, line numbers, byte-exact round trip', async (t) => {
  const dir = tempDir(t);
  for (const [name, text] of [
    ['a.txt', TWITTER],
    ['b.txt', TWITTER + '\n'],
    ['c.txt', TWITTER.replace('\n\n', '\n\n\n')],
  ]) {
    const file = join(dir, name!);
    writeFileSync(file, text!);
    const ds = await readDataset(file);
    assert.equal(ds.format, 'twitter');
    assert.deepEqual(
      ds.posts.map((p) => [p.id, p.line, p.tokens.join(' '), p.tags.join(' ')]),
      [
        ['101', 1, 'RT John Smith', 'O B-PER I-PER'],
        ['102', name === 'c.txt' ? 7 : 6, 'in Paris', 'O B-LOC'],
      ],
    );
    const out = join(dir, `out-${name}`);
    await writeDataset(ds.posts, out, 'twitter', ds.layout);
    assert.equal(readFileSync(out, 'utf8'), text);
  }
});

test('CMNER file: WID lines, CRLF and missing blank lines survive a round trip', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'train.txt');
  writeFileSync(file, CMNER);
  const ds = await readDataset(file);
  assert.equal(ds.format, 'cmner');
  assert.equal(ds.layout.eol, '\r\n');
  assert.deepEqual(
    ds.posts.map((p) => [p.id, p.tokens.join(''), p.line]),
    [
      ['Lab12', '北京好', 1],
      ['Lcd34', '苹果', 5],
    ],
  );
  assert.ok(
    ds.posts.every((p) => p.tags.every((tag) => !tag.includes('\r'))),
    "expected ds.posts.every((p) => p.tags.every((tag) => !tag.includes('\\r')))",
  );
  await writeDataset(ds.posts, join(dir, 'out.txt'), 'cmner', ds.layout);
  assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), CMNER);
  // Without a layout the CMNER defaults still write CRLF.
  assert.match(formatDataset(ds.posts, 'cmner'), /^WID:Lab12\r\n北\tB-LOC\r\n/);
});

test('malformed lines are reported with file and line number, nothing dropped silently', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.txt');
  writeFileSync(
    file,
    [
      'IMGID:1',
      'ok\tO',
      'two\tcols\tO',
      '\tO',
      'Paris\tPER',
      'x\tE-PER',
      '',
      'orphan\tO',
      'IMGID:2',
      '',
      'IMGID:3',
      'fine\tB-LOC',
      '',
    ].join('\n'),
  );
  await assert.rejects(readDataset(file), (e: Error) => {
    assert.ok(e instanceof DataFormatError, 'expected e instanceof DataFormatError');
    assert.match(e.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: expected 2 columns`));
    return true;
  });
  const ds = await readDataset(file, { allowIssues: true });
  assert.deepEqual(
    ds.issues.map((i) => [i.line, i.message.split(' ').slice(0, 3).join(' ')]),
    [
      [3, 'expected 2 columns'],
      [4, 'empty token'],
      [5, "tag 'PER' is"],
      [6, "tag 'E-PER' is"],
      [8, 'token line after'],
      [9, "post '2' has"],
    ],
  );
  assert.ok(
    ds.issues.every((i) => i.file === file),
    'expected ds.issues.every((i) => i.file === file)',
  );
  assert.deepEqual(
    ds.posts.map((p) => p.tokens),
    [['ok'], [], ['fine']],
  );

  const noId = parseDataset('IMGID:1\nok\tO\n', 'x.txt', 'cmner');
  assert.match(noId.issues[0]!.message, /token line before any WID: line/);
  assert.throws(() => detectFormat('', 'empty.txt'), /empty\.txt:0: file is empty/);
  assert.throws(() => detectFormat('a\tO\n<EOS>\tX\nhello\tX\n', 'k.txt'), /PGIM knowledge file/);
});

test('plain CoNLL: extra columns, space separators, E-/S- tags, round trip', () => {
  const tabbed = 'EU\tNNP\tB-NP\tS-ORG\nrejects\tVBZ\tB-VP\tO\n\nPeter\tNNP\tB-NP\tB-PER\nBlack\tNNP\tI-NP\tE-PER\n\n';
  const ds = parseDataset(tabbed, 'x.conll');
  assert.equal(ds.format, 'conll');
  assert.deepEqual(ds.issues, []);
  assert.deepEqual(
    ds.posts.map((p) => [p.id, p.line]),
    [
      ['1', 1],
      ['2', 4],
    ],
  );
  assert.deepEqual(ds.posts[1]!.columns, [
    ['NNP', 'B-NP'],
    ['NNP', 'I-NP'],
  ]);
  assert.equal(formatDataset(ds.posts, 'conll', ds.layout), tabbed);
  const spaced = 'EU B-ORG\nrejects O\n';
  const sp = parseDataset(spaced, 's.conll');
  assert.deepEqual(sp.posts[0]!.tags, ['B-ORG', 'O']);
  assert.equal(formatDataset(sp.posts, 'conll', sp.layout), spaced);
  assert.match(parseDataset('word\n', 'one.conll').issues[0]!.message, /at least 2 columns/);
});

test('JSONL: valid records, and each broken record reported by line', () => {
  const text =
    [
      JSON.stringify({ id: 'a', tokens: ['New', 'York'], tags: ['B-LOC', 'I-LOC'] }),
      JSON.stringify({ id: 7, tokens: ['x'], tags: ['O'] }),
      '{not json',
      JSON.stringify({ id: 'b', tokens: ['x', 'y'], tags: ['O'] }),
      JSON.stringify({ id: 'c', tokens: ['x'], tags: ['B_PER'] }),
      JSON.stringify({ tokens: [], tags: [] }),
    ].join('\n') + '\n';
  const ds = parseDataset(text, 'd.jsonl');
  assert.equal(ds.format, 'jsonl');
  assert.deepEqual(
    ds.posts.map((p) => [p.id, p.line]),
    [
      ['a', 1],
      ['7', 2],
    ],
  );
  assert.deepEqual(
    ds.issues.map((i) => i.line),
    [3, 4, 5, 6],
  );
  assert.match(ds.issues[1]!.message, /2 tokens but 1 tags/);
  assert.equal(formatDataset(ds.posts, 'jsonl').split('\n')[0], text.split('\n')[0]);
});

test('converting between formats keeps tokens, tags and ids', async (t) => {
  const dir = tempDir(t);
  const ds = parseDataset(TWITTER, 'tw.txt');
  await writeDataset(ds.posts, join(dir, 'tw.jsonl'), 'jsonl');
  const back = await readDataset(join(dir, 'tw.jsonl'));
  assert.deepEqual(
    back.posts.map((p) => [p.id, p.tokens, p.tags]),
    ds.posts.map((p) => [p.id, p.tokens, p.tags]),
  );
  await writeDataset(back.posts, join(dir, 'tw2.txt'), 'twitter');
  assert.equal(readFileSync(join(dir, 'tw2.txt'), 'utf8'), TWITTER + '\n');
});

test('captions: id -> caption, malformed and duplicate lines reported', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'captions.txt');
  writeFileSync(file, '108911.jpg :the chicago bears are playing\n16_05_01_367.jpg :nolan k bushnell on twitter\n');
  const caps = await readCaptions(file);
  assert.deepEqual(
    [...caps.entries()],
    [
      ['108911', 'the chicago bears are playing'],
      ['16_05_01_367', 'nolan k bushnell on twitter'],
    ],
  );
  writeFileSync(file, '1.jpg :a\nno caption here\n1.jpg :b\n');
  await assert.rejects(
    readCaptions(file),
    /captions\.txt:2: expected '<id>\.jpg :<caption>'[\s\S]*captions\.txt:3: second caption for image '1'/,
  );
});

test('CMNER images are found by wid prefix', async (t) => {
  const dir = tempDir(t);
  for (const name of ['Lab12_b.jpg', 'Lab12_a.jpg', 'Lab123_x.jpg', 'Lcd34_1.png', 'Lab12_notes.txt']) writeFileSync(join(dir, name), '');
  assert.deepEqual(await listPostImages(dir, 'Lab12'), [join(dir, 'Lab12_a.jpg'), join(dir, 'Lab12_b.jpg')]);
  assert.deepEqual(await listPostImages(dir, 'Lzz'), []);
});

test('findSplits accepts valid or dev', async (t) => {
  const dir = tempDir(t);
  for (const name of ['train.txt', 'dev.txt', 'test.jsonl', 'notes.md']) writeFileSync(join(dir, name), '');
  mkdirSync(join(dir, 'valid'));
  assert.deepEqual(await findSplits(dir), { train: join(dir, 'train.txt'), valid: join(dir, 'dev.txt'), test: join(dir, 'test.jsonl') });
});
