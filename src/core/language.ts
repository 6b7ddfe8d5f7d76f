import type { LanguageCode, LanguageSetting } from './types.ts';

const HAN = /\p{Script=Han}/u;
const LATIN = /\p{Script=Latin}/u;

/** True when a string is mostly CJK ideographs (used per OCR line as well as per message). */
export function isMostlyHan(text: string): boolean {
  let han = 0;
  let latin = 0;
  for (const ch of text) {
    if (HAN.test(ch)) han++;
    else if (LATIN.test(ch)) latin++;
  }
  // A Chinese post with a few Latin hashtags or handles is still Chinese: one Han character
  // carries roughly a word, so weigh it against a few Latin letters.
  return han > 0 && han * 3 >= latin;
}

export function detectLanguage(setting: LanguageSetting, ...texts: string[]): LanguageCode {
  if (setting !== 'auto') return setting;
  return isMostlyHan(texts.join(' ')) ? 'zh' : 'en';
}

/** The language of one input (the text, an OCR block, a caption) on its own. */
export function languageOf(text: string): LanguageCode {
  return isMostlyHan(text) ? 'zh' : 'en';
}

// A Latin run: Latin words (letters, digits, apostrophes, inner dots and hyphens) separated by
// spaces or the punctuation that sits inside names ("Taylor Swift", "St. Louis", "AC/DC").
const LATIN_RUN = /[\p{Script=Latin}][\p{Script=Latin}\p{N}'’.\-&/]*(?:[ \t]+[\p{Script=Latin}\p{N}][\p{Script=Latin}\p{N}'’.\-&/]*)*/gu;
// A Han run: ideographs with the middle dot of transliterated names (奥巴马·贝拉克).
const HAN_RUN = /\p{Script=Han}(?:[\p{Script=Han}·・]*\p{Script=Han})?/gu;

/**
 * Runs of the other script inside a text of `language`: Latin runs inside Chinese, Han runs
 * inside English. Only runs containing a letter of that script are returned, as [start, end).
 */
export function foreignRuns(text: string, language: LanguageCode): Array<[number, number]> {
  const re = language === 'zh' ? LATIN_RUN : HAN_RUN;
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(re)) {
    const run = m[0].replace(/[.\-&/'’]+$/u, '');
    if (run.length) out.push([m.index, m.index + run.length]);
  }
  return out;
}
