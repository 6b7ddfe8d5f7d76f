// JSONL: one `{"id": ..., "tokens": [...], "tags": [...]}` object per line.
import { TAG_PATTERN } from './bio.ts';
import { splitLines } from './lines.ts';
import type { DataIssue, Dataset, Post } from './types.ts';

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

export function parseJsonl(text: string, file: string): Dataset {
  const { lines, eol, finalEol } = splitLines(text);
  const posts: Post[] = [];
  const issues: DataIssue[] = [];
  const issue = (line: number, message: string) => issues.push({ file, line, message });
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') {
      issue(lineNo, 'blank line in JSONL');
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      issue(lineNo, `invalid JSON: ${(err as Error).message}`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issue(lineNo, 'expected a JSON object with id, tokens and tags');
      return;
    }
    const rec = value as Record<string, unknown>;
    const id = typeof rec.id === 'number' ? String(rec.id) : rec.id;
    if (typeof id !== 'string' || id === '') return void issue(lineNo, "'id' must be a non-empty string or a number");
    if (!isStringArray(rec.tokens)) return void issue(lineNo, "'tokens' must be an array of strings");
    if (!isStringArray(rec.tags)) return void issue(lineNo, "'tags' must be an array of strings");
    if (rec.tokens.length !== rec.tags.length) {
      return void issue(lineNo, `${rec.tokens.length} tokens but ${rec.tags.length} tags`);
    }
    const emptyAt = rec.tokens.findIndex((t) => t === '' || /\s/.test(t));
    if (emptyAt >= 0) return void issue(lineNo, `token ${emptyAt} is empty or contains whitespace`);
    const badTag = rec.tags.findIndex((t) => !TAG_PATTERN.test(t));
    if (badTag >= 0) return void issue(lineNo, `tag '${rec.tags[badTag]}' (token ${badTag}) is not O, B-, I-, E- or S-TYPE`);
    posts.push({ id, tokens: rec.tokens, tags: rec.tags, format: 'jsonl', line: lineNo });
  });
  if (posts.length === 0 && issues.length === 0) issue(0, 'no posts found');
  return { file, format: 'jsonl', posts, issues, layout: { eol, gaps: posts.map(() => 0), finalEol, separator: '\t' } };
}

export function formatJsonl(posts: readonly Post[]): string {
  return posts.map((p) => JSON.stringify({ id: p.id, tokens: p.tokens, tags: p.tags }) + '\n').join('');
}
