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
