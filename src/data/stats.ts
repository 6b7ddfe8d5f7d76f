// Per-split counts for `ekmm data stats`.
import { bioViolations } from './bio.ts';
import { conllevalChunks } from './chunks.ts';
import type { Post } from './types.ts';

export interface SplitStats {
  posts: number;
  tokens: number;
  /** conlleval-style chunks per entity type. */
  entities: Record<string, number>;
  entityTotal: number;
  /** I-/E- tags that do not continue a same-type chunk. */
  bioViolations: number;
  postsWithViolations: number;
}

export function datasetStats(posts: readonly Post[]): SplitStats {
  const entities: Record<string, number> = {};
  let tokens = 0;
  let violations = 0;
  let postsWithViolations = 0;
  let entityTotal = 0;
  for (const post of posts) {
    tokens += post.tokens.length;
    const v = bioViolations(post.tags);
    violations += v;
    if (v > 0) postsWithViolations++;
    for (const chunk of conllevalChunks(post.tags)) {
      entities[chunk.type] = (entities[chunk.type] ?? 0) + 1;
      entityTotal++;
    }
  }
  const sorted = Object.fromEntries(Object.entries(entities).sort(([a], [b]) => a.localeCompare(b)));
  return { posts: posts.length, tokens, entities: sorted, entityTotal, bioViolations: violations, postsWithViolations };
}
