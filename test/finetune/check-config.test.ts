// `ekmm export check` names the record, line and rule that broke; `ekmm export xtuner-config`
// writes a config that compiles and names the map function matching its data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ekmm } from '../support/cli.ts';
import { CMNER, TWITTER, tempDir } from './fixtures.ts';
import { promptTemplateFor } from '../../src/finetune/xtuner-config.ts';
import { estimateTokens, tokenCounterFor } from '../../src/finetune/tokens.ts';

const ok = (user: string, answer: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: user },
      { role: 'assistant', content: answer },
    ],
  });

test('export check: each rule is reported with file, line, record and rule name; exit 1', (t) => {
  const dir = tempDir(t);
  const messages = join(dir, 'm.jsonl');
  writeFileSync(
    messages,
    [
      ok('find entities', '{"entities":[]}'),
      JSON.stringify({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: '' },
        ],
      }),
      JSON.stringify({
        messages: [
          { role: 'assistant', content: 'x' },
          { role: 'user', content: 'a' },
        ],
      }),
      JSON.stringify({
        messages: [
          { role: 'human', content: 'a' },
          { role: 'assistant', content: 'x' },
        ],
      }),
      '',
      '{"messages": [',
      JSON.stringify({ conversation: [{ input: 'a', output: 'b' }] }),
      ok('word '.repeat(3000), 'x'),
    ].join('\n') + '\n',
  );
  const r = ekmm('export', 'check', messages, '--max-length', '1000');
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.ok(lines.includes(`${messages}:2: record 2: empty-answer: messages[1] (assistant) is empty`), r.err);
  assert.ok(lines.includes(`${messages}:3: record 3: order: messages[0] is assistant where user was expected`), r.err);
  assert.ok(
    lines.some((l) => l.startsWith(`${messages}:3: record 3: order: the last message is not the assistant's answer`)),
    r.err,
  );
  assert.ok(lines.includes(`${messages}:4: record 4: roles: messages[0].role is "human"`), r.err);
  assert.ok(lines.includes(`${messages}:5: record 5: blank-line: blank line`), r.err);
  assert.ok(
    lines.some((l) => l.startsWith(`${messages}:6: record 5: json: not JSON`)),
    r.err,
  );
  assert.ok(lines.includes(`${messages}:7: record 6: mixed-format: a conversation record in a messages file`), r.err);
  assert.ok(
    lines.some((l) => /:8: record 7: too-long: about \d+ tokens \(estimated\), over --max-length 1000/.test(l)),
    r.err,
  );
  assert.match(lines.at(-1)!, /7 messages records, 6 invalid/);

  const llava = join(dir, 'l.json');
  writeFileSync(
    llava,
    JSON.stringify([
      {
        id: 'a',
        image: 'a.jpg',
        conversations: [
          { from: 'human', value: '<image>\nq' },
          { from: 'gpt', value: 'x' },
        ],
      },
      {
        id: 'b',
        image: 'b.jpg',
        conversations: [
          { from: 'human', value: 'q' },
          { from: 'gpt', value: 'x' },
        ],
      },
      {
        id: 'c',
        image: 'c.jpg',
        conversations: [
          { from: 'human', value: '<image> <image>\nq' },
          { from: 'gpt', value: 'x' },
        ],
      },
      {
        image: 'a.jpg',
        conversations: [
          { from: 'human', value: '<image>\nq' },
          { from: 'gpt', value: '' },
        ],
      },
      {
        id: 'e',
        conversations: [
          { from: 'human', value: '<image>\nq' },
          { from: 'gpt', value: 'x' },
        ],
      },
      {
        id: 'f',
        image: '/abs/f.jpg',
        conversations: [
          { from: 'human', value: '<image>\nq' },
          { from: 'human', value: 'x' },
        ],
      },
    ]),
  );
  writeFileSync(join(dir, 'a.jpg'), '');
  const l = ekmm('export', 'check', llava, '--images', dir);
  assert.equal(l.code, 1);
  const expected = [
    `${llava}: record 2 (id b): image-token: the first human turn has <image> 0 times, not once`,
    `${llava}: record 2 (id b): image: image file b.jpg does not exist in the image folder`,
    `${llava}: record 3 (id c): image-token: the first human turn has <image> 2 times, not once`,
    `${llava}: record 4: id: "id" is missing or neither a string nor an integer`,
    `${llava}: record 4: empty-answer: conversations[1] (gpt) is empty`,
    `${llava}: record 5 (id e): image-token: conversations[0] has <image> but the record has no image`,
    `${llava}: record 6 (id f): image: "image" /abs/f.jpg is absolute; it must be relative to the image folder`,
    `${llava}: record 6 (id f): order: conversations[1] is from human where gpt was expected`,
  ];
  for (const e of expected) assert.ok(l.err.includes(e + '\n'), `missing: ${e}\n${l.err}`);
  assert.match(l.err, /6 llava records, 5 invalid/);

  assert.equal(ekmm('export', 'check').code, 2);
  assert.equal(ekmm('export', 'check', join(dir, 'nope.jsonl')).code, 2);
});

function compiles(file: string): void {
  const r = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `py_compile ${file}: ${r.stderr}`);
}

test('export xtuner-config: compiles, and names the map function, template and max_length the data needs', async (t) => {
  const dir = tempDir(t, { 'train.txt': TWITTER, 'dev.txt': CMNER });
  const messages = join(dir, 'm.jsonl');
  const conversation = join(dir, 'c.jsonl');
  assert.equal(ekmm('export', 'xtuner', '--input', join(dir, 'dev.txt'), '--output', messages).code, 0);
  assert.equal(ekmm('export', 'xtuner', '--input', join(dir, 'train.txt'), '--output', conversation, '--format', 'conversation').code, 0);

  const qwen = join(dir, 'qwen.py');
  const r = ekmm('export', 'xtuner-config', '--data', messages, '--model', 'Qwen/Qwen2.5-7B-Instruct', '--method', 'qlora', '--out', qwen);
  assert.equal(r.code, 0, r.err);
  compiles(qwen);
  const q = readFileSync(qwen, 'utf8');
  assert.match(q, /^from xtuner\.dataset\.map_fns import openai_map_fn, template_map_fn_factory$/m);
  assert.match(q, /^ {4}dataset_map_fn=openai_map_fn,$/m);
  assert.match(q, /^prompt_template = PROMPT_TEMPLATE\.qwen_chat$/m);
  assert.match(q, /load_in_4bit=True/);
  assert.match(q, /^max_epochs = 3$/m);
  assert.match(q, /^SYSTEM = "你是社交媒体图文帖子的命名实体识别助手。"$/m);
  assert.match(q, /^evaluation_inputs = \["任务：/m);
  // Qwen: lengths by the real Qwen tokenizer; max_length is the longest record rounded up to 128.
  const qwenTokens = await tokenCounterFor('qwen_chat');
  const recordLengths = (count: (s: string) => number) =>
    readFileSync(messages, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { messages: Array<{ content: string }> }).messages.reduce((n, m) => n + count(m.content) + 8, 0));
  const longest = Math.max(...recordLengths((s) => qwenTokens.count(s)));
  assert.match(
    q,
    new RegExp(
      `^# Tokens per record \\(Qwen tokenizer .*\\n#   3 records, .*max ${longest} -> max_length ${Math.max(256, Math.ceil(longest / 128) * 128)}$`,
      'm',
    ),
  );
  // The estimate (other families, or --estimate) errs long: never below the real count here.
  for (const [real, est] of recordLengths((s) => qwenTokens.count(s)).map((n, i) => [n, recordLengths(estimateTokens)[i]!]))
    assert.ok(est! >= real!, `${est} < ${real}`);

  const internlm = join(dir, 'internlm.py');
  const c = ekmm(
    'export',
    'xtuner-config',
    '--data',
    conversation,
    '--model',
    '/models/internlm2-chat-7b',
    '--method',
    'full',
    '--out',
    internlm,
    '--epochs',
    '2',
    '--batch-size',
    '4',
    '--accumulate',
    '8',
  );
  assert.equal(c.code, 0, c.err);
  compiles(internlm);
  const ic = readFileSync(internlm, 'utf8');
  assert.match(ic, /^ {4}dataset_map_fn=None,$/m);
  assert.doesNotMatch(ic, /openai_map_fn|LoraConfig,\n|load_in_4bit/);
  assert.match(ic, /PROMPT_TEMPLATE\.internlm2_chat/);
  assert.match(ic, /^lr = 2e-5$/m);
  assert.match(ic, /^max_epochs = 2$\n/m);
  assert.match(ic, /^batch_size = 4 /m);
  assert.match(ic, /^accumulative_counts = 8$/m);
  assert.match(ic, /^# Tokens per record \(estimate \(CJK character = 1/m);

  // LLaVA records: llava_map_fn, LLaVADataset, the projector and image folder.
  const images = join(dir, 'img');
  mkdirSync(images);
  writeFileSync(join(images, '1.jpg'), '');
  const llava = join(dir, 'l.json');
  writeFileSync(
    llava,
    JSON.stringify([
      {
        id: '1',
        image: '1.jpg',
        conversations: [
          { from: 'human', value: '<image>\n任务：x' },
          { from: 'gpt', value: '{"entities":[]}' },
        ],
      },
    ]),
  );
  const vlm = join(dir, 'vlm.py');
  const v = ekmm(
    'export',
    'xtuner-config',
    '--data',
    llava,
    '--model',
    'meta-llama/Meta-Llama-3-8B-Instruct',
    '--method',
    'lora',
    '--vlm',
    '--images',
    images,
    '--projector',
    'work_dirs/pretrain/iter_2181.pth',
    '--out',
    vlm,
  );
  assert.equal(v.code, 0, v.err);
  compiles(vlm);
  const vt = readFileSync(vlm, 'utf8');
  assert.match(vt, /^ {4}dataset_map_fn=llava_map_fn,$/m);
  assert.match(vt, /type=LLaVADataset/);
  assert.match(vt, /PROMPT_TEMPLATE\.llama3_chat/);
  assert.match(vt, /^pretrained_pth = "work_dirs\/pretrain\/iter_2181\.pth"$/m);
  assert.match(vt, /llm_lora=dict/);
  assert.doesNotMatch(vt, /load_in_4bit/);

  // Refusals: data that fails the validator (exit 1), a data/--vlm mismatch, an unknown family (exit 2).
  const broken = join(dir, 'broken.jsonl');
  writeFileSync(broken, ok('q', '') + '\n');
  const b = ekmm('export', 'xtuner-config', '--data', broken, '--model', 'Qwen/Qwen2-7B', '--method', 'lora', '--out', join(dir, 'b.py'));
  assert.equal(b.code, 1);
  assert.match(b.err, /record 1: empty-answer/);
  assert.equal(
    ekmm('export', 'xtuner-config', '--data', llava, '--model', 'Qwen/Qwen2-7B', '--method', 'lora', '--out', join(dir, 'x.py')).code,
    2,
  );
  const unknown = ekmm(
    'export',
    'xtuner-config',
    '--data',
    messages,
    '--model',
    'acme/foo-7b',
    '--method',
    'lora',
    '--out',
    join(dir, 'x.py'),
  );
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no XTuner prompt template known for model 'acme\/foo-7b'; name one with --prompt-template/);
});

test('model families map to XTuner prompt templates', () => {
  const cases: Array<[string, string | undefined]> = [
    ['Qwen/Qwen1.5-7B-Chat', 'qwen_chat'],
    ['internlm/internlm2_5-7b-chat', 'internlm2_chat'],
    ['internlm/internlm-chat-7b', 'internlm_chat'],
    ['meta-llama/Meta-Llama-3-8B-Instruct', 'llama3_chat'],
    ['meta-llama/Llama-2-7b-chat-hf', 'llama2_chat'],
    ['THUDM/chatglm3-6b', 'chatglm3'],
    ['baichuan-inc/Baichuan2-7B-Chat', 'baichuan2_chat'],
    ['mistralai/Mistral-7B-Instruct-v0.2', 'mistral'],
    ['lmsys/vicuna-7b-v1.5', 'vicuna'],
    ['microsoft/Phi-3-mini-4k-instruct', 'phi3_chat'],
    ['google/gemma-7b-it', 'gemma'],
    ['acme/foo', undefined],
  ];
  for (const [model, template] of cases) assert.equal(promptTemplateFor(model), template, model);
});
