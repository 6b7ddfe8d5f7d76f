// Turns a tag sequence into entity spans, either as conlleval.pl reads it (lenient) or as
// seqeval's strict mode reads it (an I- that does not continue a same-type chunk is no entity).
import {
  conllevalEndOfChunk,
  conllevalStartOfChunk,
  matchesPattern,
  parseTag,
  STRICT_SCHEMES,
  type ParsedTag,
  type StrictScheme,
} from './bio.ts';

export interface Chunk {
  type: string;
  /** Token offsets, end exclusive. */
  start: number;
  end: number;
}

export type ChunkMode = 'conlleval' | 'strict';

const OUTSIDE: ParsedTag = { prefix: 'O', type: '' };

export function conllevalChunks(tags: readonly string[]): Chunk[] {
  const chunks: Chunk[] = [];
  let open: { type: string; start: number } | null = null;
  let prev = OUTSIDE;
  // A trailing O plays the role of conlleval's sentence boundary line, which closes open chunks.
  for (let i = 0; i <= tags.length; i++) {
    const cur = i < tags.length ? parseTag(tags[i] as string) : OUTSIDE;
    if (open && conllevalEndOfChunk(prev, cur)) {
      chunks.push({ type: open.type, start: open.start, end: i });
      open = null;
    }
    if (i < tags.length && conllevalStartOfChunk(prev, cur)) open = { type: cur.type, start: i };
    prev = cur;
  }
  return chunks;
}

export class InvalidTagError extends Error {
  constructor(
    readonly tag: string,
    readonly position: number,
    scheme: string,
  ) {
    super(`tag '${tag}' at token ${position} is not allowed in the ${scheme} scheme`);
    this.name = 'InvalidTagError';
  }
}

/** seqeval Tokens.entities, driven by the scheme's pattern tables. */
export function strictChunks(tags: readonly string[], scheme: StrictScheme = STRICT_SCHEMES.IOB2): Chunk[] {
  const parsed = tags.map((tag, i) => {
    const p = parseTag(tag);
    if (!(scheme.allowed as readonly string[]).includes(p.prefix)) throw new InvalidTagError(tag, i, scheme.name);
    return p;
  });
  const ext = [...parsed, OUTSIDE];
  const chunks: Chunk[] = [];
  let prev = OUTSIDE;
  let i = 0;
  while (i < ext.length) {
    const token = ext[i] as ParsedTag;
    if (matchesPattern(scheme.start, prev, token)) {
      let end = i + 1;
      let last = token;
      while (end < ext.length && matchesPattern(scheme.inside, last, ext[end] as ParsedTag)) {
        last = ext[end] as ParsedTag;
        end++;
      }
      const after = ext[end] ?? OUTSIDE;
      if (matchesPattern(scheme.end, last, after)) chunks.push({ type: token.type, start: i, end });
      i = end;
    } else {
      i++;
    }
    prev = ext[i - 1] as ParsedTag;
  }
  return chunks;
}

export function chunksOf(tags: readonly string[], mode: ChunkMode = 'conlleval', scheme?: StrictScheme): Chunk[] {
  return mode === 'strict' ? strictChunks(tags, scheme) : conllevalChunks(tags);
}
