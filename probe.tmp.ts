import { Tagger } from './src/recognizers/local/tagger.ts';
import { tokenizeEnglish } from './src/recognizers/local/tokenize.ts';
const dir = process.argv[2] ?? 'models/ner-en';
const t = await Tagger.load(dir);
const cases: [string, string][] = [
  ['Smash Shiba is stoked for the Grand Finals', 'Named entities: 1. Smash Shiba (person/player) 2. Grand Finals (event) Reasoning: Smash Shiba is a player.'],
  ['great game by kyrie tonight', 'Named entities: 1. kyrie (person/player) Reasoning: Kyrie Irving is a basketball player.'],
  ['heading to juve later', 'Named entities: 1. juve (sports team) Reasoning: Juventus is a football club.'],
  ['Watching the game with Kobe', 'Named entities: 1. Kobe (city) Reasoning: Kobe is a city in Japan.'],
];
for (const [s, k] of cases) {
  const w = tokenizeEnglish(s).map((x) => x.text);
  const [a] = await t.tag([w]); const [b] = await t.tag([w], [k]);
  console.log(w.map((x, i) => `${x}/${a![i]}/${b![i]}`).join(' '));
}
