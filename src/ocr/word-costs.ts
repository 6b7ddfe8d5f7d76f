// English word costs from a frequency-ranked list (wordsninja's, MIT, ~126k words ranked by
// Wikipedia frequency), used to undo space insertions that cut a common word in two.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WordCosts {
  /** -log probability under Zipf's law (as wordninja); undefined for words not in the list. */
  cost(word: string): number | undefined;
}

export function wordListPath(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('wordsninja'))), 'words-en.json');
}

export function loadWordCosts(path = wordListPath()): WordCosts {
  const words = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(words)) throw new Error(`${path}: expected a JSON array of words`);
  const logN = Math.log(words.length);
  const costs = new Map<string, number>();
  words.forEach((w, rank) => {
    if (typeof w === 'string' && !costs.has(w)) costs.set(w, Math.log((rank + 1) * logN));
  });
  return { cost: (word) => costs.get(word) };
}
