// Line-oriented formats: Twitter-2015/2017 (IMGID: lines), CMNER (WID: lines, CRLF, one
// character per line) and plain CoNLL (token [columns...] tag, blank line between posts).
import { BIO_TAG_PATTERN, TAG_PATTERN } from './bio.ts';
import type { DataFormat, DataIssue, Dataset, Layout, Post } from './types.ts';

export type LineFormat = Exclude<DataFormat, 'jsonl'>;

export const ID_PREFIX: Record<LineFormat, string | null> = { twitter: 'IMGID:', cmner: 'WID:', conll: null };

export const DEFAULT_LAYOUT: Record<DataFormat, Omit<Layout, 'gaps'> & { gap: number; lastGap: number }> = {
  twitter: { eol: '\n', separator: '\t', finalEol: true, gap: 1, lastGap: 1 },
  cmner: { eol: '\r\n', separator: '\t', finalEol: true, gap: 0, lastGap: 0 },
  conll: { eol: '\n', separator: '\t', finalEol: true, gap: 1, lastGap: 1 },
  jsonl: { eol: '\n', separator: '\t', finalEol: true, gap: 0, lastGap: 0 },
};

/** Splits text into lines without their end-of-line sequence, noting which one the file uses. */
export function splitLines(text: string): { lines: string[]; eol: '\n' | '\r\n'; finalEol: boolean } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const finalEol = body.endsWith('\n');
  const raw = body.split('\n');
  if (finalEol) raw.pop();
  const eol = raw.length > 0 && raw[0]!.endsWith('\r') ? '\r\n' : '\n';
  return { lines: raw.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)), eol, finalEol };
}

export function parseLineFormat(text: string, file: string, format: LineFormat): Dataset {
  const { lines, eol, finalEol } = splitLines(text);
  const idPrefix = ID_PREFIX[format];
  const tagPattern = format === 'conll' ? TAG_PATTERN : BIO_TAG_PATTERN;
  const posts: Post[] = [];
  const gaps: number[] = [];
  const issues: DataIssue[] = [];
  const issue = (line: number, message: string) => issues.push({ file, line, message });
  let current: Post | null = null;
  let separator = format === 'conll' ? '' : '\t';
  let extraColumns = false;

  const closePost = () => {
    if (current && current.tokens.length === 0) issue(current.line, `post '${current.id}' has no token lines`);
  };

  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') {
      if (line !== '') issue(lineNo, 'line holds only whitespace');
      if (current) gaps[gaps.length - 1]! += 1;
      else issue(lineNo, 'blank line before the first post');
      return;
    }
    if (idPrefix && line.startsWith(idPrefix)) {
      closePost();
      const id = line.slice(idPrefix.length);
      if (id.trim() === '' || id !== id.trim()) issue(lineNo, `malformed id line '${line}'`);
      current = { id, tokens: [], tags: [], format, line: lineNo };
      posts.push(current);
      gaps.push(0);
      return;
    }
    if (idPrefix) {
      if (!current) {
        issue(lineNo, `token line before any ${idPrefix} line`);
        return;
      }
      if (gaps[gaps.length - 1]! > 0) {
        issue(lineNo, `token line after a blank line without a new ${idPrefix} line`);
        return;
      }
    } else if (!current || gaps[gaps.length - 1]! > 0) {
      closePost();
      current = { id: String(posts.length + 1), tokens: [], tags: [], format, line: lineNo };
      posts.push(current);
      gaps.push(0);
    }
    const post: Post = current!;
    if (separator === '') separator = line.includes('\t') ? '\t' : ' ';
    const cols = separator === '\t' ? line.split('\t') : line.trim().split(/\s+/);
    if (format === 'conll' ? cols.length < 2 : cols.length !== 2) {
      const want = format === 'conll' ? 'at least 2' : '2';
      issue(lineNo, `expected ${want} columns separated by ${separator === '\t' ? 'a tab' : 'spaces'}, got ${cols.length}`);
      return;
    }
    const token = cols[0]!;
    const tag = cols[cols.length - 1]!;
    if (token === '') {
      issue(lineNo, 'empty token');
      return;
    }
    if (!tagPattern.test(tag)) {
      issue(lineNo, `tag '${tag}' is not O, B-TYPE or I-TYPE${format === 'conll' ? ' (or E-/S-)' : ''}`);
      return;
    }
    post.tokens.push(token);
    post.tags.push(tag);
    if (format === 'conll') {
      const middle = cols.slice(1, -1);
      if (middle.length > 0) extraColumns = true;
      (post.columns ??= []).push(middle);
    }
  });
  closePost();
  if (!extraColumns) for (const p of posts) delete p.columns;
  if (posts.length === 0 && issues.length === 0) issue(0, 'no posts found');
  return { file, format, posts, issues, layout: { eol, gaps, finalEol, separator: separator || '\t' } };
}

export function formatLineFormat(posts: readonly Post[], format: LineFormat, layout?: Partial<Layout>): string {
  const defaults = DEFAULT_LAYOUT[format];
  const eol = layout?.eol ?? defaults.eol;
  const sep = layout?.separator ?? defaults.separator;
  const idPrefix = ID_PREFIX[format];
  const out: string[] = [];
  posts.forEach((post, i) => {
    if (post.tokens.length !== post.tags.length) {
      throw new Error(`post '${post.id}' has ${post.tokens.length} tokens but ${post.tags.length} tags`);
    }
    if (idPrefix) out.push(idPrefix + post.id);
    post.tokens.forEach((token, t) => {
      const middle = format === 'conll' ? (post.columns?.[t] ?? []) : [];
      out.push([token, ...middle, post.tags[t]].join(sep));
    });
    const gap = layout?.gaps?.[i] ?? (i === posts.length - 1 ? defaults.lastGap : defaults.gap);
    for (let g = 0; g < gap; g++) out.push('');
  });
  const finalEol = layout?.finalEol ?? defaults.finalEol;
  return out.join(eol) + (finalEol && out.length > 0 ? eol : '');
}
