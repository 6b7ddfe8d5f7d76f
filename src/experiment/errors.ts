// Error analysis between two arms: the gold entities one arm gets right and the other wrong,
// grouped by type, with examples and what the wrong arm said instead, plus the false positives
// each arm adds. This is where "why does arm A beat arm B" gets its answer.
import { conllevalChunks, type Chunk } from '../data/chunks.ts';
import type { Post } from '../data/index.ts';

export interface ErrorExample {
  id: string;
  /** The post's tokens joined by spaces. */
  text: string;
  entity: string;
  type: string;
  /** What the arm that is wrong predicted over the entity's tokens. */
  wrongSaid: string;
}

export interface TypeComparison {
  /** Gold entities `arm` gets right and `against` wrong. */
  gains: number;
  /** Gold entities `against` gets right and `arm` wrong. */
  losses: number;
  /** Wrong entities `arm` predicts that `against` does not. */
  addedFalsePositives: number;
  /** Wrong entities `against` predicts that `arm` does not. */
  removedFalsePositives: number;
  gainExamples: ErrorExample[];
  lossExamples: ErrorExample[];
}

export interface Comparison {
  arm: string;
  against: string;
  byType: Record<string, TypeComparison>;
}

const key = (c: Chunk) => `${c.start}:${c.end}:${c.type}`;

function said(chunks: Chunk[], gold: Chunk, tokens: readonly string[]): string {
  const over = chunks.filter((c) => c.start < gold.end && gold.start < c.end);
  if (over.length === 0) return 'nothing (missed)';
  return over
    .map((c) => {
      const text = tokens.slice(c.start, c.end).join(' ');
      return c.start === gold.start && c.end === gold.end ? `${c.type} (wrong type)` : `"${text}" ${c.type} (wrong span)`;
    })
    .join(', ');
}

export function compareArms(
  posts: readonly Post[],
  armName: string,
  armTags: readonly string[][],
  againstName: string,
  againstTags: readonly string[][],
  examples: number,
): Comparison {
  const byType: Record<string, TypeComparison> = {};
  const slot = (type: string) =>
    (byType[type] ??= { gains: 0, losses: 0, addedFalsePositives: 0, removedFalsePositives: 0, gainExamples: [], lossExamples: [] });
  posts.forEach((post, i) => {
    const gold = conllevalChunks(post.tags);
    const a = conllevalChunks(armTags[i]!);
    const b = conllevalChunks(againstTags[i]!);
    const goldKeys = new Set(gold.map(key));
    const aKeys = new Set(a.map(key));
    const bKeys = new Set(b.map(key));
    const example = (g: Chunk, wrong: Chunk[]): ErrorExample => ({
      id: post.id,
      text: post.tokens.join(' '),
      entity: post.tokens.slice(g.start, g.end).join(' '),
      type: g.type,
      wrongSaid: said(wrong, g, post.tokens),
    });
    for (const g of gold) {
      const inA = aKeys.has(key(g));
      const inB = bKeys.has(key(g));
      if (inA === inB) continue;
      const s = slot(g.type);
      if (inA) {
        s.gains++;
        if (s.gainExamples.length < examples) s.gainExamples.push(example(g, b));
      } else {
        s.losses++;
        if (s.lossExamples.length < examples) s.lossExamples.push(example(g, a));
      }
    }
    for (const c of a) if (!goldKeys.has(key(c)) && !bKeys.has(key(c))) slot(c.type).addedFalsePositives++;
    for (const c of b) if (!goldKeys.has(key(c)) && !aKeys.has(key(c))) slot(c.type).removedFalsePositives++;
  });
  const sorted = Object.fromEntries(Object.entries(byType).sort(([x], [y]) => x.localeCompare(y)));
  return { arm: armName, against: againstName, byType: sorted };
}
