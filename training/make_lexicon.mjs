// Writes training/lexicon-zh.tsv, the word list behind the Chinese tagger's lexicon features
// (train.py --lexicon), from the dictionary that the npm package nodejieba ships (cppjieba's
// dict/jieba.dict.utf8, `word freq pos` per line; nodejieba 3.5.8 and cppjieba are MIT-licensed,
// the dictionary comes from the jieba project, MIT). The output is committed, so nodejieba (a
// native module) is not a project dependency; to rebuild it, unpack the package first:
//   cd /tmp && npm pack nodejieba@3.5.8 && mkdir -p pk/jieba && tar xzf nodejieba-3.5.8.tgz -C pk/jieba --strip-components 1
//   node training/make_lexicon.mjs /tmp/pk/jieba/submodules/cppjieba/dict/jieba.dict.utf8
// Classes by jieba POS tag: PER (nr person, nrt transliterated person, nrfg full name), LOC (ns
// place), ORG (nt organisation), MISC (nz other proper noun); WORD: every other word whose
// dictionary frequency is >= MIN_WORD_FREQ (segmentation cues, and most of the file's size).
// Only words of 2..MAX_LEN code points, without whitespace; lowercased (ekmm_data.lexicon_key).
// One line per word and class: `<class>\t<word>`, sorted, duplicates removed.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LEN = 8;
const MIN_WORD_FREQ = 20;
const CLASS_OF_POS = { nr: 'PER', nrt: 'PER', nrfg: 'PER', ns: 'LOC', nt: 'ORG', nz: 'MISC' };
const src = process.argv[2];
if (!src) {
  console.error('usage: node training/make_lexicon.mjs <path to jieba.dict.utf8>');
  process.exit(2);
}
const lists = { PER: new Set(), LOC: new Set(), ORG: new Set(), MISC: new Set(), WORD: new Set() };
const lines = readFileSync(src, 'utf8').split('\n');
lines.forEach((line, i) => {
  if (line === '') return;
  const parts = line.split(' ');
  if (parts.length !== 3 || !/^\d+$/u.test(parts[1])) {
    throw new Error(`${src}:${i + 1}: expected 'word freq pos', got ${JSON.stringify(line)}`);
  }
  const [word, freq, pos] = parts;
  const key = [...word].map((c) => c.toLowerCase()).join('');
  const n = [...key].length;
  if (n < 2 || n > MAX_LEN || /\s/u.test(key)) return;
  const cls = CLASS_OF_POS[pos] ?? (Number(freq) >= MIN_WORD_FREQ ? 'WORD' : null);
  if (cls) lists[cls].add(key);
});
const out = [];
for (const [cls, words] of Object.entries(lists)) {
  for (const w of [...words].sort()) out.push(`${cls}\t${w}`);
}
const path = join(dirname(fileURLToPath(import.meta.url)), 'lexicon-zh.tsv');
writeFileSync(path, `${out.join('\n')}\n`);
console.log(
  `${path}: ${out.length} lines (${Object.entries(lists)
    .map(([c, w]) => `${c} ${w.size}`)
    .join(', ')})`,
);
