// Tagging speed of models side by side in one run: each round tags the same posts with every
// model in turn (text only, then with recorded knowledge and captions where the model reads
// them), so machine load hits all alike; the table gives posts/s and the ratio to the first model.
// English models tag Twitter-2015 test, Chinese ones CMNER test (give models of one language to
// compare them).
//   npx tsx bench/tagger-speed.ts [--rounds N] [--data DIR] [MODEL_DIR...]
// Default models: models/ner-en and models/ner-en-knowledge. One process, one intra-op thread.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectPath } from '../src/config/load.ts';
import { attachKnowledge, readCaptions, readDataset } from '../src/data/index.ts';
import { Tagger } from '../src/recognizers/local/tagger.ts';

const { values, positionals } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, data: { type: 'string' } },
  allowPositionals: true,
});
const dataDir = values.data ?? projectPath('../shared/data');
const dirs = positionals.length > 0 ? positionals : [projectPath('models/ner-en'), projectPath('models/ner-en-knowledge')];
const rounds = Number(values.rounds);

const taggers = await Promise.all(dirs.map((d) => Tagger.load(d)));
const posts = (await readDataset(join(dataDir, 'twitter2015', 'test.txt'))).posts;
const knowledge = (await attachKnowledge(posts, join(dataDir, 'pgim_knowledge', 'twitter2015', 'test.txt'))).knowledge;
const caps = await readCaptions(join(dataDir, 'captions', 'blip2_twitter2015.txt'));
const captions = posts.map((p) => caps.get(p.id) ?? null);
const tokens = posts.map((p) => p.tokens);
const zhTokens = taggers.some((t) => t.language === 'zh')
  ? (await readDataset(join(dataDir, 'cmner', 'test.txt'))).posts.map((p) => p.tokens)
  : [];

const rows = taggers.flatMap((t, i) => [
  t.language === 'zh'
    ? { label: `${dirs[i]} (zh), CMNER test`, run: () => t.tag(zhTokens), wall: 0, cpu: 0, posts: zhTokens.length }
    : { label: `${dirs[i]} (${t.setting}), text only`, run: () => t.tag(tokens), wall: 0, cpu: 0, posts: tokens.length },
  ...(t.usesKnowledge
    ? [
        {
          label: `${dirs[i]} (${t.setting}), + knowledge + captions`,
          run: () => t.tag(tokens, knowledge, captions),
          wall: 0,
          cpu: 0,
          posts: tokens.length,
        },
      ]
    : []),
]);
for (const r of rows) await r.run(); // warm-up
for (let k = 0; k < rounds; k++) {
  for (const r of rows) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await r.run();
    r.wall += (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    r.cpu += (c.user + c.system) / 1e6;
  }
}
const sets = [
  ...(taggers.some((t) => t.language === 'en') ? [`Twitter-2015 test (${tokens.length} posts)`] : []),
  ...(zhTokens.length > 0 ? [`CMNER test (${zhTokens.length} posts)`] : []),
];
console.log(`\n${sets.join(', ')} x ${rounds} rounds, 1 process, 1 thread\n`);
console.log('| model, input | posts/s (wall) | posts per CPU-second | ratio to the first row (posts per CPU-second) |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) {
  const n = r.posts * rounds;
  const ratio = (rows[0]!.cpu / rows[0]!.posts / (r.cpu / r.posts)).toFixed(2);
  console.log(`| ${r.label} | ${Math.round(n / r.wall)} | ${Math.round(n / r.cpu)} | ${ratio} |`);
}
for (const t of taggers) await t.close();
