// Recorded backends: PGIM knowledge files (paired with their split, or keyed by tokens), JSONL
// recordings, recorded captions by post id, and what happens to a post a recording lacks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createEngine } from '../../src/app/engine.ts';
import { Recording } from '../../src/recorded/recording.ts';

const SPLIT = 'IMGID:11\nObama\tB-PER\nin\tO\nParis\tB-LOC\n\nIMGID:12\nHello\tO\nLondon\tB-LOC\n\nIMGID:13\nno\tO\nknowledge\tO\n\n';
// PGIM's layout: the post's tokens, <EOS>, the LLM's text one token a line; the third post lacks its item.
const PGIM =
  [
    'Obama\tB-PER',
    'in\tO',
    'Paris\tB-LOC',
    '<EOS>\tX',
    'Named\tX',
    'entities:\tX',
    '1.\tX',
    'Obama\tX',
    '(person/politician)2.\tX',
    'Paris\tX',
    '(city)\tX',
    'Reasoning:\tX',
    'a\tX',
    'visit.\tX',
    '',
    'Hello\tO',
    'London\tB-LOC',
    '<EOS>\tX',
    'Named\tX',
    'entities:\tX',
    '1.\tX',
    'London\tX',
    '(sports\tX',
    'team)\tX',
    'Reasoning:\tX',
    'football.\tX',
    '',
  ].join('\n') + '\n';

describe('recorded backends', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ekmm-recorded-'));
    writeFileSync(join(dir, 'test.txt'), SPLIT);
    writeFileSync(join(dir, 'pgim.txt'), PGIM);
    writeFileSync(join(dir, 'caps.txt'), '11.jpg :a man waving at a crowd\n12.jpg :a football stadium\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const engine = (over: Record<string, unknown>) =>
    createEngine(
      loadConfig({
        skipDefaultFile: true,
        env: {},
        overrides: { ocr: { backend: 'none' }, cache: { enabled: false }, language: 'en', ...over },
      }),
    );

  test('a PGIM file paired with its split: ids by order, entity lists read and aligned, missing posts reported', async () => {
    const rec = await Recording.load({ file: join(dir, 'pgim.txt'), posts: join(dir, 'test.txt') });
    assert.deepEqual(rec.problems, ['post 13: no knowledge item (the file has 2)']);
    const e = await engine({
      recognizer: { backends: ['recorded'], fallback: 'none', recorded: { file: join(dir, 'pgim.txt'), posts: join(dir, 'test.txt') } },
    });
    const a = await e.recognize({ text: 'Obama in Paris', messageId: '11' });
    const b = await e.recognize({ text: 'Hello London', messageId: '12' });
    const c = await e.recognize({ text: 'no knowledge', messageId: '13' });
    await e.close();
    assert.deepEqual(
      a.entities.map((x) => `${x.text}/${x.type}/${x.start}`),
      ['Obama/PER/0', 'Paris/LOC/9'],
    );
    // "sports team" is read by its head word.
    assert.deepEqual(
      b.entities.map((x) => `${x.text}/${x.type}`),
      ['London/ORG'],
    );
    assert.deepEqual(c.entities, []);
    assert.ok(
      c.warnings.some((w) => w.code === 'recorded.missing' && /pgim\.txt has no answer for post 13; scored as no entities/.test(w.message)),
    );
  });

  test('without the split, PGIM items are found by their tokens', async () => {
    const rec = await Recording.load({ file: join(dir, 'pgim.txt') });
    assert.match(rec.lookup({ text: 'Hello   London' })!.text!, /^Named entities: 1\. London \(sports team\)/);
    assert.equal(rec.lookup({ text: 'Hello Paris' }), undefined);
  });

  test('recorded knowledge feeds the tagger; a post without it is tagged without it and warned about', async () => {
    const e = await engine({
      knowledge: { backend: 'recorded', recorded: { file: join(dir, 'pgim.txt'), posts: join(dir, 'test.txt') } },
      recognizer: { backends: ['local'] },
    });
    const ok = await e.recognize({ text: 'Obama in Paris', messageId: '11' });
    const missing = await e.recognize({ text: 'no knowledge', messageId: '13' });
    await e.close();
    assert.ok(!ok.warnings.some((w) => w.code === 'knowledge.failed'));
    assert.ok(missing.warnings.some((w) => w.code === 'knowledge.failed' && /has no recorded knowledge for post 13/.test(w.message)));
  });

  test('recorded captions are found by post id when the image is not at hand', async () => {
    const e = await engine({ captioner: { backend: 'recorded', recorded: { file: join(dir, 'caps.txt') } } });
    const r = await e.recognize({ text: 'Obama in Paris', messageId: '11' });
    const none = await e.recognize({ text: 'Obama in Paris', messageId: '99' });
    const anonymous = await e.recognize({ text: 'Obama in Paris' });
    await e.close();
    assert.deepEqual(r.captions, [{ image: 0, text: 'a man waving at a crowd', backend: 'recorded' }]);
    assert.deepEqual(none.captions, []);
    assert.deepEqual(anonymous.captions, []);
  });

  test('JSONL recordings: malformed lines and duplicate ids are named by file and line', async () => {
    const bad = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return Recording.load({ file: join(dir, name) });
    };
    await assert.rejects(bad('a.jsonl', '{"id": "1", "entities": []}\n{"id": "1", "text": "x"}\n'), /a\.jsonl:2: id "1" is recorded twice/);
    await assert.rejects(
      bad('b.jsonl', '{"id": "1", "entities": [{"text": "x"}]}\n'),
      /b\.jsonl:1: entities\[0\] needs string "text" and "type"/,
    );
    await assert.rejects(bad('c.jsonl', '{"id": "1"}\n'), /c\.jsonl:1: expected "entities" \(array\) or "text"/);
    await assert.rejects(bad('d.jsonl', '{"id": "1", "text": "ok"}\nnot json\n'), /d\.jsonl:2: not JSON/);
    await assert.rejects(bad('e.txt', 'just text\n'), /neither JSONL .* nor a PGIM knowledge file/);
    const rec = await bad('f.jsonl', '{"id": 5, "text": null}\n');
    assert.deepEqual(rec.lookup({ id: '5', text: '' }), { text: null });
  });
});
