// Which chat-markup rules help the local tagger: each rule left out in turn, through the real
// engine, on the chat-style test set (with adapter hints) and on Twitter-2015 / 2017 test (tokens
// joined by spaces, as test/text/chat-set.ts builds messages). Entity F1, conlleval, percent.
//   nice -n 10 npx tsx bench/markup-ablation.ts [DATA_DIR]     (DATA_DIR default ../shared/data)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '../src/eval/index.ts';
import { MARKUP_RULES, type MarkupRule } from '../src/text/chat-markup.ts';
import { CHAT_GOLD, predictChatSet, readChatSet } from '../test/text/chat-set.ts';

const data = process.argv[2] ?? '../shared/data';
const sets = [CHAT_GOLD, join(data, 'twitter2015/test.txt'), join(data, 'twitter2017/test.txt')].filter(
  (p) => p === CHAT_GOLD || existsSync(p),
);
const arms: Array<{ name: string; local: Record<string, unknown> }> = [
  { name: 'no normalisation', local: { markup: false } },
  { name: 'all rules', local: { markupRules: [...MARKUP_RULES] } },
  ...MARKUP_RULES.map((r) => ({ name: `all but ${r}`, local: { markupRules: MARKUP_RULES.filter((x): x is MarkupRule => x !== r) } })),
  { name: 'all but urls and hashtags', local: { markupRules: MARKUP_RULES.filter((x) => x !== 'urls' && x !== 'hashtags') } },
];
const table: string[][] = [];
for (const arm of arms) {
  const row = [arm.name];
  for (const set of sets) {
    const { gold } = await readChatSet(set);
    const pred = await predictChatSet(arm.local, set === CHAT_GOLD, set);
    row.push(
      evaluate(
        gold.posts.map((p) => p.tags),
        pred.map((p) => p.tags),
      ).f1.toFixed(1),
    );
  }
  table.push(row);
  console.error(row.join(' | '));
}
console.log(
  `| rules | ${sets.map((s) => s.replace(/^.*\/(twitter\d+)\/test\.txt$/, '$1 test').replace(CHAT_GOLD, 'chat set')).join(' | ')} |`,
);
console.log(`| --- | ${sets.map(() => '---:').join(' | ')} |`);
for (const row of table) console.log(`| ${row.join(' | ')} |`);
