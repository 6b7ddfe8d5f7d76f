// The tokenizer-free length estimate (src/finetune/tokens.ts) against the real Qwen and Llama 3
// tokenizers, on the records `ekmm export xtuner` writes (defaults: messages, mner-sft, captions for
// Twitter, 2 similar examples for CMNER), measured side by side in one run.
//   npx tsx bench/finetune-tokens.ts [DATA_DIR]      (default ../shared/data)
import { join } from 'node:path';
import { loadConfig, projectPath } from '../src/config/load.ts';
import { readCaptions, readDataset } from '../src/data/index.ts';
import { buildXtunerExport, datasetLanguage, postText, toMessagesRecord } from '../src/data/xtuner.ts';
import { LexicalRetriever, loadTemplateExamples } from '../src/finetune/examples.ts';
import { templateSettings, typeNames } from '../src/finetune/template.ts';
import { estimateTokens, tokenCounterFor } from '../src/finetune/tokens.ts';

const dataDir = process.argv[2] ?? projectPath('../shared/data');
const config = loadConfig();
const SETS: Array<[string, string | undefined, number]> = [
  ['twitter2017/train.txt', 'captions/blip2_twitter2017.txt', 0],
  ['cmner/train.txt', undefined, 2],
];
const counters = [await tokenCounterFor('qwen_chat'), await tokenCounterFor('llama3_chat')];
console.log(
  '| records | tokenizer | real tokens | estimate | estimate / real | records under-estimated | lowest per-record ratio | ms to count |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [file, captionFile, k] of SETS) {
  const path = join(dataDir, file);
  const { posts } = await readDataset(path);
  const captions = captionFile ? await readCaptions(join(dataDir, captionFile)) : undefined;
  const lang = datasetLanguage(posts);
  const settings = templateSettings({
    lang,
    parts: { caption: captions !== undefined, ocr: false, knowledge: false, examples: k },
    ...(k ? { examplesFile: path } : {}),
  });
  let examples: Awaited<ReturnType<LexicalRetriever['similar']>>[] | undefined;
  if (k) {
    const retriever = new LexicalRetriever(await loadTemplateExamples(path, config.typeAliases), path);
    examples = await Promise.all(posts.map((p) => retriever.similar({ text: postText(p) }, k)));
  }
  const built = buildXtunerExport(posts, {
    task: 'ner',
    prompt: 'sft',
    entityTypes: config.entityTypes,
    typeMap: config.typeAliases,
    sft: { settings, lang, names: typeNames(config.entityTypes, lang), ...(examples ? { examples } : {}) },
    ...(captions ? { captions } : {}),
  });
  const texts = built.records.map((r) => toMessagesRecord(r).messages.map((m) => m.content));
  const estimate = texts.map((t) => t.reduce((n, s) => n + estimateTokens(s), 0));
  for (const counter of counters) {
    const started = Date.now();
    const real = texts.map((t) => t.reduce((n, s) => n + counter.count(s), 0));
    const ms = Date.now() - started;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const under = real.filter((r, i) => estimate[i]! < r).length;
    const lowest = Math.min(...real.map((r, i) => estimate[i]! / r));
    console.log(
      `| ${file} (${texts.length}) | ${counter.name} | ${sum(real)} | ${sum(estimate)} | ${(sum(estimate) / sum(real)).toFixed(3)} | ${under} | ${lowest.toFixed(3)} | ${ms} |`,
    );
  }
}
