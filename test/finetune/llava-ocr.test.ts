// `ekmm export llava` and the OCR part of `ekmm export xtuner --ocr`: real images drawn by the test,
// read by the real ppocr backend; a post whose image is missing is reported and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ekmm } from '../support/cli.ts';
import { drawTextLines } from '../support/draw.ts';
import { CMNER, readJsonl, tempDir, type Message } from './fixtures.ts';

interface LlavaRecord {
  id: string;
  image: string;
  conversations: Array<{ from: string; value: string }>;
}

test('export llava: records for posts with images; a missing image is reported, counted and stops the export', async (t) => {
  const dir = tempDir(t, { 'dev.txt': CMNER });
  const images = join(dir, 'images');
  mkdirSync(images);
  // Post 4455 has two images (the first by name is used), 4456 one, 4457 none.
  writeFileSync(join(images, '4455_a.png'), await drawTextLines(['BEIJING 2024']));
  writeFileSync(join(images, '4455_b.jpg'), await drawTextLines(['SPRING GALA'], 56, 'jpeg'));
  writeFileSync(join(images, '4456_x.jpg'), await drawTextLines(['ALIBABA'], 56, 'jpeg'));
  const out = join(dir, 'llava.json');
  const args = ['export', 'llava', '--input', join(dir, 'dev.txt'), '--images', images, '--output', out];

  const refused = ekmm(...args);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /post 3 \(id 4457\): no image in .*images \(looked for 4457\.<ext> and 4457_\*\.<ext>\)/);
  assert.match(refused.err, /posts without an image: 1 of 3/);
  assert.equal(existsSync(out), false, 'nothing is written while posts are missing images');

  const r = ekmm(...args, '--allow-missing', '--ocr');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /wrote 2 of 3 records/);
  assert.match(r.err, /skipped 1 posts: 4457/);
  assert.match(r.err, /posts without an image: 1 of 3 \(not written; listed above\)/);
  assert.match(r.err, /posts with several images: 1 \(the first image by name is used\)/);
  assert.match(r.err, /ocr: read 3 images of 2 posts/);
  const text = readFileSync(out, 'utf8');
  assert.ok(text.startsWith('[\n'), 'a .json output is one JSON array, as LLaVA data files are');
  const records = JSON.parse(text) as LlavaRecord[];
  assert.deepEqual(
    records.map((x) => [x.id, x.image]),
    [
      ['4455', '4455_a.png'],
      ['4456', '4456_x.jpg'],
    ],
  );
  for (const rec of records) {
    assert.deepEqual(Object.keys(rec), ['id', 'image', 'conversations']);
    assert.deepEqual(
      rec.conversations.map((c) => c.from),
      ['human', 'gpt'],
    );
    assert.equal(rec.conversations[0]!.value.split('<image>').length - 1, 1);
    assert.ok(rec.conversations[0]!.value.startsWith('<image>\n任务：'));
  }
  // The OCR part is what ppocr read from all of the post's images, in name order.
  const ocrLine = records[0]!.conversations[0]!.value.split('\n').find((l) => l.startsWith('图片中的文字：'))!;
  assert.match(ocrLine, /BEIJING ?2024.*\|.*SPRING ?GALA/);
  assert.match(records[1]!.conversations[0]!.value, /图片中的文字：ALI ?BABA/);
  assert.equal(records[0]!.conversations[1]!.value, '{"entities":[{"text":"北京","type":"地名"},{"text":"春晚","type":"其他"}]}');
  assert.doesNotMatch(records[0]!.conversations[0]!.value, /图片描述/);
  const check = ekmm('export', 'check', out, '--images', images);
  assert.equal(check.code, 0, check.out + check.err);
  assert.match(check.out, /2 llava records, 0 invalid/);

  // The same OCR run feeds the text-only export's "text in the image" part; JSONL when not .json.
  const jsonl = join(dir, 'llava.jsonl');
  assert.equal(ekmm(...args.slice(0, -1), jsonl, '--allow-missing').code, 0);
  assert.equal(readJsonl<LlavaRecord>(readFileSync(jsonl, 'utf8')).length, 2);
  const x = join(dir, 'x.jsonl');
  const xr = ekmm('export', 'xtuner', '--input', join(dir, 'dev.txt'), '--output', x, '--ocr', '--images', images, '--allow-missing');
  assert.equal(xr.code, 0, xr.err);
  assert.match(xr.err, /post 3 \(id 4457\): no OCR text \(no image found\)/);
  const user = readJsonl<{ messages: Message[] }>(readFileSync(x, 'utf8'))[1]!.messages[1]!.content;
  assert.match(user, /\n图片中的文字：ALI ?BABA\n句子：马云说阿里巴巴很好\n/);
});
