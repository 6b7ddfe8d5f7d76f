// Recorded LLM knowledge in PGIM's format: the post's `token<TAB>tag` lines, an `<EOS>` line,
// the LLM's text one whitespace token per line tagged X, a blank line between posts. Items
// carry no ids, so they are attached to a split by order and checked token by token.
import { readFile } from 'node:fs/promises';
import { splitLines } from './lines.ts';
import { DataFormatError, type DataIssue, type Post } from './types.ts';

export interface KnowledgeItem {
  /** 0-based position in the knowledge file. */
  index: number;
  /** 1-based line of the item's first line. */
  line: number;
  /** The post's tokens as the knowledge file repeats them. */
  tokens: string[];
  /** The LLM's text, its tokens joined by single spaces. */
  text: string;
}

export function parseKnowledge(text: string, file: string): { items: KnowledgeItem[]; issues: DataIssue[] } {
  const items: KnowledgeItem[] = [];
  const issues: DataIssue[] = [];
  let cur: { line: number; tokens: string[]; words: string[]; sawEos: boolean } | null = null;
  const close = () => {
    if (!cur) return;
    if (!cur.sawEos) issues.push({ file, line: cur.line, message: 'knowledge item has no <EOS> line' });
    items.push({ index: items.length, line: cur.line, tokens: cur.tokens, text: cur.words.join(' ') });
    cur = null;
  };
  splitLines(text).lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return close();
    cur ??= { line: lineNo, tokens: [], words: [], sawEos: false };
    const cols = line.split('\t');
    if (cols.length !== 2 || cols[0] === '') {
      issues.push({ file, line: lineNo, message: `expected 'token<TAB>tag', got ${cols.length} column(s)` });
      return;
    }
    const [token, tag] = cols as [string, string];
    if (token === '<EOS>') {
      if (cur.sawEos) issues.push({ file, line: lineNo, message: 'second <EOS> line in one item' });
      cur.sawEos = true;
    } else if (cur.sawEos) {
      cur.words.push(token);
    } else {
      cur.tokens.push(token);
    }
    void tag;
  });
  close();
  return { items, issues };
}

export async function readKnowledge(file: string): Promise<KnowledgeItem[]> {
  const { items, issues } = parseKnowledge(await readFile(file, 'utf8'), file);
  if (issues.length > 0) throw new DataFormatError(issues);
  return items;
}

export interface KnowledgeProblem {
  /** 0-based post index in the split (or item index for surplus items). */
  index: number;
  /** Post id, or null for a knowledge item with no post. */
  id: string | null;
  reason: string;
}

export interface KnowledgeAttachment {
  /** One entry per post, in order: the item's text, or null when none could be attached. */
  knowledge: (string | null)[];
  items: (KnowledgeItem | null)[];
  problems: KnowledgeProblem[];
}

/** Pairs post i with item i; a missing item or a token mismatch is reported, never realigned. */
export function attachKnowledgeItems(posts: readonly Post[], items: readonly KnowledgeItem[]): KnowledgeAttachment {
  const problems: KnowledgeProblem[] = [];
  const attached = posts.map((post, i): KnowledgeItem | null => {
    const item = items[i];
    if (!item) {
      problems.push({ index: i, id: post.id, reason: `no knowledge item (the file has ${items.length})` });
      return null;
    }
    const diff = firstTokenDifference(post.tokens, item.tokens);
    if (diff) {
      problems.push({ index: i, id: post.id, reason: `tokens differ from knowledge item ${i} (line ${item.line}): ${diff}` });
      return null;
    }
    return item;
  });
  for (let i = posts.length; i < items.length; i++) {
    problems.push({ index: i, id: null, reason: `knowledge item ${i} (line ${items[i]!.line}) has no post` });
  }
  return { items: attached, knowledge: attached.map((it) => it?.text ?? null), problems };
}

export async function attachKnowledge(posts: readonly Post[], knowledgeFile: string): Promise<KnowledgeAttachment> {
  return attachKnowledgeItems(posts, await readKnowledge(knowledgeFile));
}

function firstTokenDifference(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `token ${i} is '${a[i]}' in the post but '${b[i]}' in the knowledge`;
  }
  if (a.length !== b.length) return `${a.length} tokens in the post, ${b.length} in the knowledge`;
  return null;
}

export interface KnowledgeEntity {
  name: string;
  /** The LLM's free-text type, e.g. 'person/handle'; '' when it gave none. */
  type: string;
}

const HEADER = /named\s+entit(?:y|ies)\s*:/i;
const REASONING = /reasoning\s*:/i;
const NO_ENTITIES = /^(?:none\b|n\/a\b|no\b|not applicable|there (?:are|is) no)/i;
// Items are numbered 1., 2., ... and the zip's one-word-per-line layout lost the line breaks
// ("1. X (type)2. Y (type)"), so the list is cut where the next expected number appears.
function splitNumbered(list: string): string[] {
  const cuts: { at: number; len: number }[] = [];
  for (let n = 1, from = 0; ; n++) {
    const re = new RegExp(`(?:^|(?<=[)\\s,;]))${n}\\.`, 'g');
    re.lastIndex = from;
    const m = re.exec(list);
    if (!m) break;
    cuts.push({ at: m.index, len: m[0].length });
    from = m.index + m[0].length;
  }
  return cuts.map((c, i) => list.slice(c.at + c.len, cuts[i + 1]?.at ?? list.length).trim());
}

/** Parses `Named entities: 1. <name> (<type>) 2. ... Reasoning: ...` into (name, type) pairs. */
export function parseKnowledgeEntities(raw: string): { entities: KnowledgeEntity[]; reasoning: string | null } {
  const text = raw.replace(/\uFF08/g, '(').replace(/\uFF09/g, ')');
  const header = HEADER.exec(text);
  const reasoningAt = REASONING.exec(text);
  const reasoning = reasoningAt ? text.slice(reasoningAt.index + reasoningAt[0].length).trim() : null;
  if (!header || (reasoningAt && reasoningAt.index < header.index)) return { entities: [], reasoning };
  const listEnd = reasoningAt ? reasoningAt.index : text.length;
  const list = text.slice(header.index + header[0].length, listEnd).trim();
  const entities: KnowledgeEntity[] = [];
  const items = splitNumbered(list);
  // An unnumbered list is one entity, unless it says there are none.
  const unnumbered = list && !NO_ENTITIES.test(list) ? [list] : [];
  for (const item of items.length > 0 ? items : unnumbered) {
    const m = /^(.*?)\s*\(([^()]*)\)\s*[,;.]?$/.exec(item);
    const name = (m ? m[1]! : item).trim().replace(/[,;]$/, '');
    if (name) entities.push({ name, type: m ? m[2]!.trim() : '' });
  }
  return { entities, reasoning };
}
