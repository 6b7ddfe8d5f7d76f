// Tokenizers that keep UTF-16 offsets into the original text, so tags map back to exact spans.

export interface Token {
  text: string;
  /** UTF-16 offsets into the tokenized string; text === source.slice(start, end). */
  start: number;
  end: number;
}

// Same alternatives as training/ekmm_data.py TOKEN: URL | optional @/# then a word run | any
// other single character (a whole code point, so an emoji stays one token).
const TWEET_TOKEN = /https?:\/\/\S+|www\.\S+|[@#]?[\p{L}\p{N}_]+|\S/gu;

/** Tweet-like English tokenization: punctuation split off, URLs, @handles and #tags kept whole. */
export function tokenizeEnglish(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TWEET_TOKEN)) {
    out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** One token per code point, whitespace skipped (CMNER's one-character-per-line convention). */
export function tokenizeChinese(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (const ch of text) {
    if (!/\s/u.test(ch)) out.push({ text: ch, start: i, end: i + ch.length });
    i += ch.length;
  }
  return out;
}

export function tokenize(text: string, kind: 'tweet' | 'char'): Token[] {
  return kind === 'char' ? tokenizeChinese(text) : tokenizeEnglish(text);
}
