// The chat-style test set through the real engine, before and after the chat-markup work
// (test/text/chat-set.ts says how messages are built and scored):
//   before: recognizer.local.markup false, mixedScript none, no adapter hints (the old path)
//   after:  the defaults (markup normalised, mixed-script runs) with the adapter hints in
//           test/fixtures/chat/chat-hints.json
// Writes both prediction files (Twitter CoNLL) and scores them as `ekmm eval` does.
//   npx tsx bench/chat-eval.ts [--out DIR] [--dataset CONLL]
// --dataset runs the same before/after over another file (e.g. ../shared/data/twitter2017/test.txt)
// with its tokens joined by spaces, to check the normalisation costs nothing on ordinary tweets.
//   npx ekmm eval --gold test/fixtures/chat/chat-test.txt --pred DIR/chat-after.txt --compare DIR/chat-before.txt
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeDataset } from '../src/data/index.ts';
import { evaluate } from '../src/eval/index.ts';
import { AFTER, BEFORE, CHAT_GOLD, predictChatSet, readChatSet } from '../test/text/chat-set.ts';

const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1]! : '/tmp/ekmm-chat-eval';
mkdirSync(out, { recursive: true });
const datasetIndex = process.argv.indexOf('--dataset');
const goldPath = datasetIndex > 0 ? process.argv[datasetIndex + 1]! : CHAT_GOLD;
const { gold } = await readChatSet(goldPath);
const goldTags = gold.posts.map((p) => p.tags);
const runs = [
  { name: 'before', label: 'before (raw markup)', posts: await predictChatSet(BEFORE.local, BEFORE.hints, goldPath) },
  { name: 'no-hints', label: 'normalised, no adapter hints', posts: await predictChatSet(AFTER.local, false, goldPath) },
  { name: 'after', label: 'after (normalised + hints)', posts: await predictChatSet(AFTER.local, AFTER.hints, goldPath) },
];
console.log(
  `${goldPath}: ${gold.posts.length} messages, ${evaluate(goldTags, goldTags).counts.goldEntities} gold entities (conlleval, percent)`,
);
console.log('| system | P | R | F1 | PER | LOC | ORG | OTHER |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const run of runs) {
  await writeDataset(run.posts, join(out, `chat-${run.name}.txt`), 'twitter', gold.layout);
  const r = evaluate(
    goldTags,
    run.posts.map((p) => p.tags),
  );
  const t = (type: string) => (r.perType[type] ? r.perType[type]!.f1.toFixed(1) : '-');
  console.log(
    `| ${run.label} | ${r.p.toFixed(1)} | ${r.r.toFixed(1)} | ${r.f1.toFixed(1)} | ${t('PER')} | ${t('LOC')} | ${t('ORG')} | ${t('OTHER')} |`,
  );
}
console.log(
  `check: npx ekmm eval --gold ${goldPath} --pred ${join(out, 'chat-after.txt')} --compare ${join(out, 'chat-before.txt')} --bootstrap 1000`,
);
