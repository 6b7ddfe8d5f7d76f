// Gold and predicted files must describe the same posts, token for token.
import type { Dataset } from '../data/types.ts';

export class AlignmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlignmentError';
  }
}

/** Throws AlignmentError naming the first post/token where the two datasets differ. */
export function checkAligned(gold: Dataset, pred: Dataset): void {
  const n = Math.min(gold.posts.length, pred.posts.length);
  for (let i = 0; i < n; i++) {
    const g = gold.posts[i]!;
    const p = pred.posts[i]!;
    const where = `post ${i + 1} (gold id '${g.id}' at ${gold.file}:${g.line}, pred id '${p.id}' at ${pred.file}:${p.line})`;
    if (g.tokens.length !== p.tokens.length) {
      throw new AlignmentError(`${where}: gold has ${g.tokens.length} tokens, pred has ${p.tokens.length}`);
    }
    const t = g.tokens.findIndex((tok, k) => tok !== p.tokens[k]);
    if (t >= 0) throw new AlignmentError(`${where}: token ${t + 1} is '${g.tokens[t]}' in gold but '${p.tokens[t]}' in pred`);
  }
  if (gold.posts.length !== pred.posts.length) {
    throw new AlignmentError(`${gold.file} has ${gold.posts.length} posts but ${pred.file} has ${pred.posts.length}`);
  }
}
