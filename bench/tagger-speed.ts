// Tagging speed of models side by side in one run: each round tags the same posts with every
// model in turn (text only, then with recorded knowledge and captions where the model reads
// them), so machine load hits all alike; the table gives posts/s and the ratio to the first model.
// English models tag Twitter-2015 test, Chinese ones CMNER test (give models of one language to
// compare them).
//   npx tsx bench/tagger-speed.ts [--rounds N] [--data DIR] [--old CHECKOUT] [MODEL_DIR...]
// Default models: models/ner-en and models/ner-en-knowledge. One process, one intra-op thread.
// --old CHECKOUT (e.g. a `git worktree add /tmp/old main`): each model also as that checkout's
// tagger code with that checkout's copy of the model directory (the same path relative to it),
// its row just before the current one; the ratio is then current over old for the same input.
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, projectPath } from '../src/config/load.ts';
import { attachKnowledge, readCaptions, readDataset } from '../src/data/index.ts';
import { Tagger } from '../src/recognizers/local/tagger.ts';

const { values, positionals } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, data: { type: 'string' }, old: { type: 'string' } },
  allowPositionals: true,
});
const dataDir = values.data ?? projectPath('../shared/data');
const given = positionals.length > 0 ? positionals : [projectPath('models/ner-en'), projectPath('models/ner-en-knowledge')];
const rounds = Number(values.rounds);

/** What the rows need of a tagger: the old checkout's class has the same shape. */
type Taggable = Pick<Tagger, 'language' | 'setting' | 'usesKnowledge' | 'tag' | 'close'>;
interface Entry {
  label: string;
  load: () => Promise<Taggable>;
}
const entries: Entry[] = [];
const oldTagger = values.old
  ? ((await import(pathToFileURL(resolve(values.old, 'src/recognizers/local/tagger.ts')).href)) as { Tagger: typeof Tagger }).Tagger
  : null;
for (const d of given) {
  if (oldTagger && values.old) {
    const oldDir = resolve(values.old, relative(PROJECT_ROOT, resolve(d)));
    if (!existsSync(oldDir)) throw new Error(`--old: ${oldDir} does not exist`);
    entries.push({ label: `old: ${oldDir}`, load: () => oldTagger.load(oldDir) });
  }
  entries.push({ label: oldTagger ? `new: ${d}` : d, load: () => Tagger.load(d) });
}
const dirs = entries.map((e) => e.label);
const taggers = await Promise.all(entries.map((e) => e.load()));
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
    ? { label: `${dirs[i]} (zh), CMNER test`, entry: i, input: 'text', run: () => t.tag(zhTokens), wall: 0, cpu: 0, posts: zhTokens.length }
    : {
        label: `${dirs[i]} (${t.setting}), text only`,
        entry: i,
        input: 'text',
        run: () => t.tag(tokens),
        wall: 0,
        cpu: 0,
        posts: tokens.length,
      },
  ...(t.usesKnowledge
    ? [
        {
          label: `${dirs[i]} (${t.setting}), + knowledge + captions`,
          entry: i,
          input: 'knowledge',
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
const against = oldTagger ? 'the old row of the same model and input' : 'the first row';
console.log(`| model, input | posts/s (wall) | posts per CPU-second | ratio to ${against} (posts per CPU-second) |`);
console.log('| --- | ---: | ---: | ---: |');
rows.forEach((r) => {
  const n = r.posts * rounds;
  // with --old, entries alternate old, new: a new row's pair is the old entry's row of its input
  const base = oldTagger ? rows.find((o) => o.entry === r.entry - (r.entry % 2) && o.input === r.input)! : rows[0]!;
  const ratio = (base.cpu / base.posts / (r.cpu / r.posts)).toFixed(2);
  console.log(`| ${r.label} | ${Math.round(n / r.wall)} | ${Math.round(n / r.cpu)} | ${ratio} |`);
});
for (const t of taggers) await t.close();
