// Two models of one language and setting on the same posts: entity F1 on every valid/dev and test
// split (in the setting model A serves: text only, or with recorded knowledge and captions), posts
// whose tags differ, and a paired bootstrap (Koehn 2004) per split. Used to decide whether a
// rewritten graph (e.g. training/quantize_lstm.py) may replace the float one.
//   npx tsx bench/model-compare.ts [--data DIR] [--samples N] MODEL_A MODEL_B
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectPath } from '../src/config/load.ts';
import { attachKnowledge, mapTagTypes, readCaptions, readDataset } from '../src/data/index.ts';
import { evaluate, pairedBootstrap } from '../src/eval/index.ts';
import { Tagger } from '../src/recognizers/local/tagger.ts';

const { values, positionals } = parseArgs({
  options: { data: { type: 'string' }, samples: { type: 'string', default: '1000' } },
  allowPositionals: true,
});
if (positionals.length !== 2) {
  console.error('usage: npx tsx bench/model-compare.ts [--data DIR] [--samples N] MODEL_A MODEL_B');
  process.exit(2);
}
const dataDir = values.data ?? projectPath('../shared/data');
const [dirA, dirB] = positionals as [string, string];
const a = await Tagger.load(dirA);
const b = await Tagger.load(dirB);
if (a.language !== b.language || a.setting !== b.setting) {
  console.error(`${dirA} (${a.language}, ${a.setting}) and ${dirB} (${b.language}, ${b.setting}) serve different inputs`);
  process.exit(2);
}

interface Split {
  name: string;
  tokens: string[][];
  gold: string[][];
  knowledge?: (string | null)[];
  captions?: (string | null)[];
}

async function twitter(year: string, split: string): Promise<Split> {
  const posts = (await readDataset(join(dataDir, `twitter${year}`, `${split}.txt`))).posts;
  const s: Split = { name: `Twitter-${year} ${split}`, tokens: posts.map((p) => p.tokens), gold: posts.map((p) => mapTagTypes(p.tags)) };
  if (a.usesKnowledge) {
    s.knowledge = (await attachKnowledge(posts, join(dataDir, 'pgim_knowledge', `twitter${year}`, `${split}.txt`))).knowledge;
    const caps = await readCaptions(join(dataDir, 'captions', `blip2_twitter${year}.txt`));
    s.captions = posts.map((p) => caps.get(p.id) ?? null);
  }
  return s;
}

async function cmner(split: string): Promise<Split> {
  const posts = (await readDataset(join(dataDir, 'cmner', `${split}.txt`))).posts;
  return { name: `CMNER ${split}`, tokens: posts.map((p) => p.tokens), gold: posts.map((p) => p.tags) };
}

const splits =
  a.language === 'zh'
    ? [await cmner('dev'), await cmner('test')]
    : [await twitter('2015', 'valid'), await twitter('2017', 'valid'), await twitter('2015', 'test'), await twitter('2017', 'test')];

const tagsOf = async (t: Tagger, s: Split): Promise<string[][]> =>
  (await t.tag(s.tokens, s.knowledge, s.captions)).map((tags) => (t.language === 'en' ? mapTagTypes(tags) : tags));

console.log(
  `A: ${dirA}\nB: ${dirB}\n(${a.language}, ${a.setting} model${a.usesKnowledge ? ', with recorded knowledge and captions' : ', text only'})\n`,
);
console.log('| split | posts | F1 A | F1 B | B - A | paired bootstrap p | posts with other tags | tokens with other tags |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const s of splits) {
  const pa = await tagsOf(a, s);
  const pb = await tagsOf(b, s);
  let posts = 0;
  let tokens = 0;
  pa.forEach((tags, i) => {
    const other = tags.filter((t, j) => t !== pb[i]![j]).length;
    tokens += other;
    if (other > 0) posts++;
  });
  const fa = evaluate(s.gold, pa).f1;
  const fb = evaluate(s.gold, pb).f1;
  const boot = pairedBootstrap(s.gold, pb, pa, { samples: Number(values.samples) });
  console.log(
    `| ${s.name} | ${s.tokens.length} | ${fa.toFixed(2)} | ${fb.toFixed(2)} | ${(fb - fa).toFixed(2)} | ${boot.p.toFixed(3)} | ${posts} | ${tokens} |`,
  );
}
await a.close();
await b.close();
