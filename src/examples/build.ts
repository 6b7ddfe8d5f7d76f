// Builds an example index from a labelled split: entities from the gold tags, the recorded
// caption of each post, and an image signature of `<id>.jpg|png|...` when an images directory
// is given (a perceptual hash, or an embedding from an OpenAI-compatible /v1/embeddings endpoint).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Post } from '../data/index.ts';
import type { LlmHttpClient } from '../llm/http-base.ts';
import { entryOf, INDEX_FORMAT, type ExampleIndexFile, type IndexEntry } from './index.ts';
import { perceptualHash } from './phash.ts';

const IMAGE_EXTS = ['.jpg', '.jpeg', '.png', '.webp', '.gif'];

export function postImage(dir: string | undefined, id: string): string | undefined {
  return dir ? IMAGE_EXTS.map((ext) => join(dir, id + ext)).find((f) => existsSync(f)) : undefined;
}

export function imageDataUrl(file: string): string {
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  const mime = ext === 'jpg' ? 'jpeg' : ext;
  return `data:image/${mime};base64,${readFileSync(file).toString('base64')}`;
}

export interface BuildOptions {
  posts: readonly Post[];
  split: string;
  source: string;
  captions?: ReadonlyMap<string, string> | undefined;
  imagesDir?: string | undefined;
  /** Embeds images instead of hashing them. */
  embeddings?: LlmHttpClient | undefined;
  /** Called for a post whose image could not be read: it keeps its text and caption. */
  onImageError?: (id: string, message: string) => void;
}

export async function buildIndex(opts: BuildOptions): Promise<ExampleIndexFile> {
  const entries: IndexEntry[] = [];
  let imaged = 0;
  for (const post of opts.posts) {
    const entry = entryOf(post, opts.captions?.get(post.id));
    const file = postImage(opts.imagesDir, post.id);
    if (file) {
      try {
        if (opts.embeddings) entry.embedding = (await opts.embeddings.embed([imageDataUrl(file)]))[0]!;
        else entry.phash = await perceptualHash(file);
        imaged++;
      } catch (err) {
        opts.onImageError?.(post.id, (err as Error).message);
      }
    }
    entries.push(entry);
  }
  return {
    header: {
      format: INDEX_FORMAT,
      split: opts.split,
      source: opts.source,
      count: entries.length,
      captions: entries.some((e) => e.caption !== undefined),
      image: imaged === 0 ? 'none' : opts.embeddings ? 'embedding' : 'phash',
      ...(opts.embeddings && imaged ? { embeddingModel: opts.embeddings.model } : {}),
    },
    entries,
  };
}
