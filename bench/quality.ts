// Test-split quality of the committed local NER models, beside the recorded LLM's own entity
// list and published results, plus tagging speed.
//   npx tsx bench/quality.ts [DATA_DIR] [--en DIR] [--en-knowledge DIR] [--zh DIR]
// DATA_DIR defaults to ../shared/data; --en is the model for text-only (and caption) rows (default
// models/ner-en), --en-knowledge a dedicated model for the knowledge rows (default
// models/ner-en-knowledge where committed and --en is not given, else the --en model), --zh the
// CMNER model (default models/ner-zh).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectPath } from '../src/config/load.ts';
import { attachKnowledge, mapTagTypes, parseKnowledgeEntities, readCaptions, readDataset, type Post } from '../src/data/index.ts';
import { evaluate } from '../src/eval/index.ts';
import { mapLlmType, matchKey, type TypeKeywords } from '../src/recognizers/local/features.ts';
import { Tagger } from '../src/recognizers/local/tagger.ts';

const { values: opts, positionals } = parseArgs({
  options: { en: { type: 'string' }, 'en-knowledge': { type: 'string' }, zh: { type: 'string' } },
  allowPositionals: true,
});
const dataDir = positionals[0] ?? projectPath('../shared/data');

const PUBLISHED: [string, number, number][] = [
  ['BiLSTM-CRF (published)', 64.4, 76.3],
  ['BERT-CRF (published)', 71.8, 83.4],
  ['UMT (published)', 73.4, 85.3],
  ['ITA (published)', 78.0, 89.8],
  ['PGIM (published)', 79.3, 91.4],
];

interface Split {
  name: string;
  posts: Post[];
  gold: string[][];
  knowledge: (string | null)[];
  captions: (string | null)[];
}

async function loadTwitter(year: string): Promise<Split> {
  const file = join(dataDir, `twitter${year}`, 'test.txt');
  const posts = (await readDataset(file)).posts;
  const attached = await attachKnowledge(posts, join(dataDir, 'pgim_knowledge', `twitter${year}`, 'test.txt'));
  if (attached.problems.length > 0) {
    console.error(`twitter${year}: ${attached.problems.length} post(s) without knowledge, e.g. ${attached.problems[0]!.reason}`);
  }
  const caps = await readCaptions(join(dataDir, 'captions', `blip2_twitter${year}.txt`));
  return {
    name: `Twitter-${year}`,
    posts,
    gold: posts.map((p) => mapTagTypes(p.tags)),
    knowledge: attached.knowledge,
    captions: posts.map((p) => caps.get(p.id) ?? null),
  };
}

/** The LLM's listed names matched to contiguous token runs (case/punctuation-insensitive). */
function llmListTags(tokens: readonly string[], knowledge: string | null, keywords: TypeKeywords): string[] {
  const tags = tokens.map(() => 'O');
  if (!knowledge) return tags;
  const keys = tokens.map(matchKey);
  for (const e of parseKnowledgeEntities(knowledge).entities) {
    const name = e.name
      .split(/\s+/u)
      .map(matchKey)
      .filter((k) => k !== '');
    if (name.length === 0) continue;
    const type = mapLlmType(e.type, keywords);
    for (let s = 0; s + name.length <= keys.length; s++) {
      if (!name.every((k, j) => keys[s + j] === k)) continue;
      if (tags.slice(s, s + name.length).some((t) => t !== 'O')) continue;
      name.forEach((_, j) => {
        tags[s + j] = `${j === 0 ? 'B' : 'I'}-${type}`;
      });
    }
  }
  return tags;
}

const f1 = async (tagger: Tagger, split: Split, k: boolean, c: boolean): Promise<number> => {
  const pred = await tagger.tag(
    split.posts.map((p) => p.tokens),
    k ? split.knowledge : undefined,
    c ? split.captions : undefined,
  );
  return evaluate(
    split.gold,
    pred.map((t) => mapTagTypes(t)),
  ).f1;
};

async function main(): Promise<void> {
  const en = await Tagger.load(opts.en ?? projectPath('models/ner-en'));
  const enKDir = opts['en-knowledge'] ?? (opts.en ? undefined : projectPath('models/ner-en-knowledge'));
  const enK = enKDir && existsSync(join(enKDir, 'manifest.json')) ? await Tagger.load(enKDir) : en;
  const keywords = enK.manifest.knowledge_features?.type_keywords ?? {};
  const splits = [await loadTwitter('2015'), await loadTwitter('2017')];
  const rows: [string, ...(number | null)[]][] = [];
  for (const [label, k, c] of [
    ['local BiLSTM-CRF, text only', false, false],
    ['local, + captions', false, true],
    ['local, + recorded LLM knowledge (and captions)', true, true],
  ] as const) {
    const tagger = k ? enK : en;
    const who = enK === en ? '' : ` (${tagger.setting} model)`;
    rows.push([label + who, ...(await Promise.all(splits.map((s) => f1(tagger, s, k, c)))), null]);
  }
  rows.push([
    'recorded LLM entity list, naively aligned',
    ...splits.map(
      (s) =>
        evaluate(
          s.gold,
          s.posts.map((p, i) => llmListTags(p.tokens, s.knowledge[i]!, keywords)),
        ).f1,
    ),
    null,
  ]);

  const zh = await Tagger.load(opts.zh ?? projectPath('models/ner-zh')).catch((err: Error) => {
    console.error(`${opts.zh ?? 'models/ner-zh'}: ${err.message}`);
    return null;
  });
  let zhF1: number | null = null;
  let cmnerPosts: Post[] = [];
  if (zh) {
    cmnerPosts = (await readDataset(join(dataDir, 'cmner', 'test.txt'))).posts;
    const pred = await zh.tag(cmnerPosts.map((p) => p.tokens));
    zhF1 = evaluate(
      cmnerPosts.map((p) => p.tags),
      pred,
    ).f1;
    rows[0]![3] = zhF1;
  }
  for (const [label, a, b] of PUBLISHED) rows.push([label, a, b, null]);

  const fmt = (v: number | null | string | undefined) => (typeof v === 'number' ? v.toFixed(1) : (v ?? 'n/a'));
  console.log('\nEntity micro F1 (conlleval), test splits; MISC counted as OTHER on Twitter-2017\n');
  console.log('| system | Twitter-2015 | Twitter-2017 | CMNER |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [label, ...v] of rows) console.log(`| ${label} | ${v.map(fmt).join(' | ')} |`);

  // speed: one process, one intra-op thread, after a warm-up run. Wall-clock posts/s depends on
  // what else the machine runs; posts per CPU-second of this process does much less.
  const posts = splits[0]!.posts.map((p) => p.tokens);
  await en.tag(posts.slice(0, 200));
  console.log('\n| tagging speed (1 process, 1 thread) | posts | posts/s (wall) | posts per CPU-second |');
  console.log('| --- | ---: | ---: | ---: |');
  const speed = async (label: string, n: number, run: () => Promise<unknown>) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(`| ${label} | ${n} | ${Math.round(n / wall)} | ${Math.round(n / cpuS)} |`);
  };
  await speed('en, Twitter-2015 test, text only', posts.length, () => en.tag(posts));
  await speed('en, Twitter-2015 test, + knowledge + captions', posts.length, () =>
    enK.tag(posts, splits[0]!.knowledge, splits[0]!.captions),
  );
  if (zh && cmnerPosts.length > 0) {
    await speed('zh, CMNER test (~111 characters a post)', cmnerPosts.length, () => zh.tag(cmnerPosts.map((p) => p.tokens)));
    await zh.close();
  }
  await en.close();
  if (enK !== en) await enK.close();
}

await main();
