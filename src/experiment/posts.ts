// A labelled dataset post as the engine sees it (a Message), and the engine's entities back as
// one tag per dataset token, so the existing evaluator scores the engine exactly as `ekmm eval`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Entity, Message } from '../core/types.ts';
import type { Post } from '../data/index.ts';

export interface PostText {
  text: string;
  /** UTF-16 [start, end) of each token in `text`. */
  spans: Array<[number, number]>;
}

/** Tokens joined by a space (by nothing for CMNER's one character a line), with each token's span. */
export function postText(post: Post): PostText {
  const glue = post.format === 'cmner' ? '' : ' ';
  let text = '';
  const spans: Array<[number, number]> = [];
  post.tokens.forEach((tok, i) => {
    if (i > 0) text += glue;
    spans.push([text.length, text.length + tok.length]);
    text += tok;
  });
  return { text, spans };
}

const IMAGE_EXTS = ['.jpg', '.jpeg', '.png', '.webp', '.gif'];

export function postMessage(post: Post, text: string, imagesDir: string | undefined): Message {
  const message: Message = { text, messageId: post.id };
  if (imagesDir) {
    const file = IMAGE_EXTS.map((ext) => join(imagesDir, post.id + ext)).find((f) => existsSync(f));
    if (file) message.images = [{ kind: 'path', path: file }];
  }
  return message;
}

export interface TagResult {
  tags: string[];
  /** Text entities that overlapped a token already tagged by an earlier entity (union merges can overlap). */
  overlaps: number;
}

/**
 * BIO tags of the text entities (OCR and caption entities are not in the post's tokens). A
 * token belongs to an entity when their spans overlap; `typeSpelling` writes types back as the
 * dataset spells them (OTHER -> MISC for Twitter-2017).
 */
export function entitiesToTags(entities: readonly Entity[], pt: PostText, typeSpelling: ReadonlyMap<string, string>): TagResult {
  const tags = pt.spans.map(() => 'O');
  let overlaps = 0;
  for (const e of entities) {
    if (e.source !== 'text') continue;
    const covered: number[] = [];
    pt.spans.forEach(([s, t], i) => {
      if (s < e.end && e.start < t) covered.push(i);
    });
    if (covered.length === 0) continue;
    if (covered.some((i) => tags[i] !== 'O')) {
      overlaps++;
      continue;
    }
    const type = typeSpelling.get(e.type) ?? e.type;
    covered.forEach((tok, k) => {
      tags[tok] = `${k === 0 ? 'B' : 'I'}-${type}`;
    });
  }
  return { tags, overlaps };
}

/** Engine types written back in the dataset's own spelling (Twitter-2017 says MISC where EKMM says OTHER). */
export function typeSpelling(posts: readonly Post[], typeAliases: Record<string, string>): Map<string, string> {
  const used = new Set(posts.flatMap((p) => p.tags.filter((t) => t !== 'O').map((t) => t.slice(2))));
  const map = new Map<string, string>();
  for (const [alias, canonical] of Object.entries(typeAliases)) {
    if (used.has(alias) && !used.has(canonical)) map.set(canonical, alias);
  }
  return map;
}
