// `ekmm export xtuner` in the mner-sft template, both formats and both languages, run as a user
// runs it (bin/ekmm.js in a child process); every written line is parsed back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ekmm } from '../support/cli.ts';
import { CAPTIONS, CMNER, TWITTER, readJsonl, tempDir, type Message } from './fixtures.ts';

interface Turn {
  system?: string;
  input: string;
  output: string;
}

test('export xtuner: default is the messages format with the English template, captions and examples', (t) => {
  const dir = tempDir(t, { 'train.txt': TWITTER, 'captions.txt': CAPTIONS });
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
    '--examples',
    '1',
  );
  assert.equal(r.code, 0, r.err);
  const records = readJsonl<{ messages: Message[] }>(readFileSync(out, 'utf8'));
  assert.equal(records.length, 4);
  for (const rec of records) {
    assert.deepEqual(Object.keys(rec), ['messages']);
    assert.deepEqual(
      rec.messages.map((m) => m.role),
      ['system', 'user', 'assistant'],
    );
  }
  const [first, second, third] = records;
  assert.equal(first!.messages[0]!.content, 'You are a named entity recognizer for social media posts that come with images.');
  const user = first!.messages[1]!.content.split('\n');
  assert.match(user[0]!, /^Task: find the named entities in the sentence/);
  assert.equal(user[1], 'Image description: a man waving from a car');
  assert.equal(user[2], 'Similar examples:');
  // The most similar other post (shares "in"/"visits"... by token Jaccard), never the post itself.
  assert.match(user[3]!, /^Sentence: /);
  assert.notEqual(user[3], 'Sentence: RT @BarackObama visits New York City');
  assert.match(user[4]!, /^Answer: \{"entities":/);
  assert.equal(user[5], 'Sentence: RT @BarackObama visits New York City');
  assert.equal(user[6], 'Entity types to find: person, location, organization, other');
  assert.match(user[7]!, /^Answer with JSON only/);
  assert.equal(
    first!.messages[2]!.content,
    '{"entities":[{"text":"@BarackObama","type":"person"},{"text":"New York City","type":"location"}]}',
  );
  // I- after O starts an entity (conlleval); the repeated "Obama" is listed once.
  assert.equal(
    second!.messages[2]!.content,
    '{"entities":[{"text":"Obama","type":"person"},{"text":"Paris","type":"location"},{"text":"COP21","type":"other"}]}',
  );
  // A post without entities is written, with an empty list as its (non-empty) answer.
  assert.equal(third!.messages[2]!.content, '{"entities":[]}');
  assert.match(r.err, /wrote 4 of 4 records/);
  assert.match(r.err, /format: messages \(XTuner dataset_map_fn=openai_map_fn\)/);
  assert.match(r.err, /prompt: mner-sft@1 \(en\)/);
  assert.equal(ekmm('export', 'check', out).code, 0);
});

test('export xtuner: Chinese data gets the Chinese template; --types renames; conversation format', (t) => {
  const dir = tempDir(t, { 'dev.txt': CMNER });
  const out = join(dir, 'out.jsonl');
  const r = ekmm(
    'export',
    'xtuner',
    '--input',
    join(dir, 'dev.txt'),
    '--output',
    out,
    '--format',
    'conversation',
    '--types',
    'PER=人物,ORG=组织',
  );
  assert.equal(r.code, 0, r.err);
  const bytes = readFileSync(out);
  assert.ok(bytes.includes(Buffer.from('北京', 'utf8')), 'CJK is written as UTF-8, not \\u escapes');
  const turns = readJsonl<{ conversation: Turn[] }>(bytes.toString('utf8')).map((rec) => {
    assert.deepEqual(Object.keys(rec), ['conversation']);
    assert.equal(rec.conversation.length, 1);
    return rec.conversation[0]!;
  });
  assert.equal(turns[0]!.system, '你是社交媒体图文帖子的命名实体识别助手。');
  assert.equal(
    turns[0]!.input,
    [
      '任务：找出句子中的命名实体，并给出每个实体的类型。实体须与句子中的写法完全一致，同一实体只列一次。',
      '句子：我在北京看春晚',
      '需要识别的实体类型：人物、地名、组织、其他',
      '只输出 JSON：{"entities": [{"text": "实体", "type": "类型"}]}；没有实体时输出 {"entities": []}。',
    ].join('\n'),
  );
  // MISC reaches OTHER through the config's typeAliases.
  assert.equal(turns[0]!.output, '{"entities":[{"text":"北京","type":"地名"},{"text":"春晚","type":"其他"}]}');
  assert.equal(turns[1]!.output, '{"entities":[{"text":"马云","type":"人物"},{"text":"阿里巴巴","type":"组织"}]}');
  assert.equal(turns[2]!.output, '{"entities":[]}');
  assert.match(r.err, /format: conversation \(XTuner dataset_map_fn=None\)/);

  // --lang en on Chinese data: the English template, as asked; --no-system: user + assistant only.
  const en = join(dir, 'en.jsonl');
  const e = ekmm('export', 'xtuner', '--input', join(dir, 'dev.txt'), '--output', en, '--lang', 'en', '--no-system');
  assert.equal(e.code, 0, e.err);
  const rec = readJsonl<{ messages: Message[] }>(readFileSync(en, 'utf8'))[0]!;
  assert.deepEqual(
    rec.messages.map((m) => m.role),
    ['user', 'assistant'],
  );
  assert.match(rec.messages[0]!.content, /^Task: .*\nSentence: 我在北京看春晚\n/);
  assert.equal(rec.messages[1]!.content, '{"entities":[{"text":"北京","type":"location"},{"text":"春晚","type":"other"}]}');
});

test('export xtuner: usage errors name the flag (exit 2); a missing caption stops the export (exit 1)', (t) => {
  const dir = tempDir(t, { 'train.txt': TWITTER, 'captions.txt': CAPTIONS.split('\n').slice(0, 2).join('\n') + '\n' });
  const input = join(dir, 'train.txt');
  const out = join(dir, 'out.jsonl');
  const bad = (args: string[], message: RegExp) => {
    const r = ekmm('export', 'xtuner', '--input', input, '--output', out, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
  };
  bad(['--format', 'alpaca'], /--format must be one of messages, conversation/);
  bad(['--lang', 'fr'], /--lang must be en, zh or auto/);
  bad(['--types', 'PER'], /--types expects TYPE=NAME/);
  bad(['--types', 'GPE=地缘'], /type name given for 'GPE', which is not among the entity types/);
  bad(['--types', 'PER=Location'], /'PER' and 'LOC' are both named 'location'/i);
  bad(['--ocr'], /--ocr needs --images DIR/);
  bad(['--examples', 'x'], /--examples must be a whole number from 0 to 20/);
  bad(['--prompt', 'recognizer', '--lang', 'zh'], /--lang belongs to --prompt sft/);
  const missing = ekmm('export', 'xtuner', '--input', input, '--output', out, '--captions', join(dir, 'captions.txt'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /post 3 \(id 103\): no caption for image '103'/);
  assert.match(missing.err, /nothing written/);
});
