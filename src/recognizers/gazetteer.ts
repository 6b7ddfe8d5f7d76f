// A list-lookup recognizer: names from config (or a YAML/JSON file) matched as whole words in the
// text, OCR lines and captions. A stand-in and a domain supplement, not a trained model; its
// entities carry backend "gazetteer" so nobody mistakes them for the tagger's.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Plugin } from '../core/registry.ts';
import type { Recognizer, RecognizerInput, RecognizerOutput } from '../core/stages.ts';
import type { Entity } from '../core/types.ts';
import { buildViews, entityFromView } from './views.ts';
import { projectPath } from '../config/load.ts';

interface Pattern {
  type: string;
  regex: RegExp;
}

// Han script has no spaces between words, so a word boundary is only required between two
// non-Han word characters.
const SPACED_WORD = /[\p{L}\p{N}_]/u;
const HAN = /\p{Script=Han}/u;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Longest names first so "New York City" wins over "New York". */
export function compilePatterns(entries: Record<string, string[]>): Pattern[] {
  const all = Object.entries(entries).flatMap(([type, names]) => names.map((name) => ({ type, name: name.trim() })));
  return all
    .filter((e) => e.name.length > 0)
    .sort((a, b) => b.name.length - a.name.length)
    .map(({ type, name }) => ({ type, regex: new RegExp(escapeRegex(name).replace(/\s+/g, '\\s+'), 'giu') }));
}

function isSpacedWordChar(ch: string | undefined): boolean {
  return ch !== undefined && SPACED_WORD.test(ch) && !HAN.test(ch);
}

function separated(text: string, index: number): boolean {
  return !(isSpacedWordChar(text[index - 1]) && isSpacedWordChar(text[index]));
}

export function findNames(text: string, patterns: Pattern[]): Array<{ start: number; end: number; type: string }> {
  const found: Array<{ start: number; end: number; type: string }> = [];
  const taken = new Uint8Array(text.length);
  for (const { type, regex } of patterns) {
    regex.lastIndex = 0;
    for (const m of text.matchAll(regex)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!separated(text, start) || !separated(text, end) || taken.subarray(start, end).some((x) => x === 1)) continue;
      taken.fill(1, start, end);
      found.push({ start, end, type });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

export class GazetteerRecognizer implements Recognizer {
  readonly name = 'gazetteer';
  constructor(private readonly patterns: Pattern[]) {}

  async recognize(batch: RecognizerInput[]): Promise<RecognizerOutput[]> {
    // The same views the local tagger reads: chat markup normalised (a resolved mention or a
    // split hashtag matches a listed name), OCR lines block by block (a wrapped name matches).
    return batch.map((input) => {
      const entities: Entity[] = [];
      let dropped = 0;
      for (const view of buildViews(input, { markup: true, blocks: true, tagOcr: true, tagCaptions: true })) {
        for (const m of findNames(view.mapped.view, this.patterns)) {
          // undefined: the name takes only some of a hashtag's words; counted, not reported.
          const entity = entityFromView(view, m.start, m.end, m.type, this.name, input.ocr);
          if (entity) entities.push(entity);
          else dropped++;
        }
      }
      return { entities, dropped, warnings: [] };
    });
  }
}

function readEntriesFile(path: string): Record<string, string[]> {
  const doc: unknown = parseYaml(readFileSync(projectPath(path), 'utf8'));
  const ok =
    typeof doc === 'object' && doc !== null && Object.values(doc).every((v) => Array.isArray(v) && v.every((n) => typeof n === 'string'));
  if (!ok) throw new Error(`gazetteer file ${path} must map each entity type to a list of names`);
  return doc as Record<string, string[]>;
}

const register: Plugin = (registries) => {
  registries.recognizer.register('gazetteer', ({ config }) => {
    const { entries, file } = config.recognizer.gazetteer;
    const merged: Record<string, string[]> = { ...entries };
    if (file) for (const [type, names] of Object.entries(readEntriesFile(file))) merged[type] = [...(merged[type] ?? []), ...names];
    return new GazetteerRecognizer(compilePatterns(merged));
  });
};
export default register;
