// Round trip of the fine-tuning export over the real splits:
// - parser: every exported answer is read back by the llm recognizer's parser and label mapper and
//   compared with the post's gold entities (listed once, in order);
// - served: the real `llm` recognizer, configured with the same template, is run on every post against
//   the OpenAI emulator on 127.0.0.1 which answers with the exported answer; its request must equal
//   the exported messages, and the entities it returns (after alignment) are compared with gold;
// - the estimated record lengths that `ekmm export xtuner-config` sizes max_length from.
//   npx tsx bench/finetune-roundtrip.ts [DATA_DIR]      (default ../shared/data)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, projectPath } from '../src/config/load.ts';
import { readCaptions, readDataset } from '../src/data/index.ts';
import { buildXtunerExport, datasetLanguage, goldEntities, toMessagesRecord } from '../src/data/xtuner.ts';
import { TemplatePrompt } from '../src/finetune/served-prompt.ts';
import { templateSettings, typeNames } from '../src/finetune/template.ts';
import { estimateTokens, percentile, TEMPLATE_OVERHEAD_PER_MESSAGE } from '../src/finetune/tokens.ts';
import { LabelMapper } from '../src/llm/labels.ts';
import { LlmRecognizer } from '../src/llm/recognizer.ts';
import { isCharacterTokenized, postText } from '../src/data/xtuner.ts';
import { OpenAiEmulator, completion } from '../test/support/openai-emulator.ts';
import { parseEntityAnswer } from '../src/llm/parse.ts';

const dataDir = process.argv[2] ?? projectPath('../shared/data');
const config = loadConfig({ skipDefaultFile: false });
const SPLITS: Array<[string, string, string | undefined]> = [
  ['twitter2015', 'train', 'captions/blip2_twitter2015.txt'],
  ['twitter2015', 'valid', 'captions/blip2_twitter2015.txt'],
  ['twitter2015', 'test', 'captions/blip2_twitter2015.txt'],
  ['twitter2017', 'train', 'captions/blip2_twitter2017.txt'],
  ['twitter2017', 'valid', 'captions/blip2_twitter2017.txt'],
  ['twitter2017', 'test', 'captions/blip2_twitter2017.txt'],
  ['cmner', 'train', undefined],
  ['cmner', 'dev', undefined],
  ['cmner', 'test', undefined],
];

const emu = await new OpenAiEmulator().start();
console.log(
  '| split | lang | posts | gold entities (listed once) | parser: exact | served prompt = exported | served entities = gold | tokens p50 / p95 / max |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const [set, split, captionFile] of SPLITS) {
  const file = join(dataDir, set, `${split}.txt`);
  if (!existsSync(file)) continue;
  const { posts } = await readDataset(file);
  const captions = captionFile ? await readCaptions(join(dataDir, captionFile)) : undefined;
  const lang = datasetLanguage(posts);
  const settings = templateSettings({ lang, parts: { caption: captions !== undefined, ocr: false, knowledge: false, examples: 0 } });
  const names = typeNames(config.entityTypes, lang);
  const built = buildXtunerExport(posts, {
    task: 'ner',
    prompt: 'sft',
    entityTypes: config.entityTypes,
    typeMap: config.typeAliases,
    sft: { settings, lang, names },
    ...(captions ? { captions } : {}),
  });
  if (built.problems.length)
    throw new Error(`${set}/${split}: ${built.problems.length} posts could not be exported (first: ${built.problems[0]!.reason})`);
  const prompt = new TemplatePrompt(settings, config.entityTypes, config.typeAliases);
  const labels = new LabelMapper(config.entityTypes, { ...config.typeAliases, ...prompt.labelAliases() });
  let exact = 0;
  let entities = 0;
  const mismatches: string[] = [];
  const tokens: number[] = [];
  built.records.forEach((rec, i) => {
    const post = posts[i]!;
    const gold = goldEntities(post, config.typeAliases).unique;
    entities += gold.length;
    const parsed = parseEntityAnswer(rec.conversation[0]!.output, 'stop', (l) => labels.map(l) !== undefined);
    const back = parsed.proposals.map((p) => ({ text: p.text, type: labels.map(p.label) }));
    if (JSON.stringify(back) === JSON.stringify(gold) && parsed.notes.length === 0) exact++;
    else mismatches.push(post.id);
    tokens.push(toMessagesRecord(rec).messages.reduce((n, m) => n + estimateTokens(m.content) + TEMPLATE_OVERHEAD_PER_MESSAGE, 0));
  });
  tokens.sort((a, b) => a - b);

  // Served: one request at a time, so the n-th request is the n-th post's (splits repeat some texts
  // with different labels, so answers cannot be looked up by prompt); each is answered with the
  // post's exported answer and compared with the exported messages.
  let samePrompt = 0;
  let n = 0;
  const messagesOf = (i: number) => toMessagesRecord(built.records[i]!).messages;
  emu.reset().otherwise((req) => {
    const body = JSON.stringify(req.body?.messages);
    // A retry (the client retries a dropped loopback connection) repeats the previous post's request.
    if (n > 0 && body === JSON.stringify(messagesOf(n - 1).slice(0, -1)) && body !== JSON.stringify(messagesOf(n).slice(0, -1))) {
      return completion(messagesOf(n - 1).at(-1)!.content);
    }
    const record = messagesOf(n++);
    if (body === JSON.stringify(record.slice(0, -1))) samePrompt++;
    return completion(record.at(-1)!.content);
  });
  const recognizer = new LlmRecognizer(
    {
      baseURL: emu.baseURL,
      model: 'tuned',
      apiKeyEnv: 'EKMM_BENCH_NO_KEY',
      timeoutMs: 20000,
      retries: 2,
      backoffMs: 10,
      maxTokens: 512,
      structuredOutput: 'json_object',
    },
    config.entityTypes,
    config.typeAliases,
    { env: {}, template: prompt, concurrency: 1 },
  );
  const inputs = posts.map((p) => ({
    text: postText(p),
    language: (isCharacterTokenized(p) ? 'zh' : 'en') as 'zh' | 'en',
    ocr: [],
    captions: captions?.has(p.id) ? [{ image: 0, text: captions.get(p.id)!, backend: 'recorded' }] : [],
  }));
  const outputs = await recognizer.recognize(inputs);
  let servedExact = 0;
  const servedMiss: string[] = [];
  outputs.forEach((out, i) => {
    const key = (e: { text: string; type: string }) => `${e.type}:${e.text}`;
    const found = [...new Set(out.entities.filter((e) => e.source === 'text').map(key))].sort();
    const gold = goldEntities(posts[i]!, config.typeAliases).unique.map(key).sort();
    if (JSON.stringify(found) === JSON.stringify(gold)) servedExact++;
    else servedMiss.push(posts[i]!.id);
  });
  const miss = (n: number, ids: string[]) => `${n}${ids.length ? ` (${ids.length} off, e.g. ${ids.slice(0, 2).join(', ')})` : ''}`;
  console.log(
    `| ${set}/${split} | ${lang} | ${posts.length} | ${entities} | ${miss(exact, mismatches)} | ${samePrompt} | ${miss(servedExact, servedMiss)} | ${percentile(tokens, 50)} / ${percentile(tokens, 95)} / ${tokens.at(-1)} |`,
  );
}
await emu.stop();
