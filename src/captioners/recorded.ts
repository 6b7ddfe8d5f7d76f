// Captions recorded earlier (e.g. the BLIP-2 captions released with PGIM), one per line:
// `<id>.jpg :<caption>`. An image is looked up by its file name (with or without extension)
// and by the sha256 of its bytes, so a file may key lines either way; a dataset post whose image
// is not at hand gets its caption by post id (captionById).
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Captioner, PreparedImage } from '../core/stages.ts';
import { sha256Hex } from '../cache/key.ts';

export function parseCaptionFile(text: string, file: string): Map<string, string> {
  const captions = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const sep = line.indexOf(' :');
    if (sep <= 0) throw new Error(`${file}:${i + 1}: expected "<id>.jpg :<caption>", got "${line.slice(0, 80)}"`);
    const id = line.slice(0, sep).trim();
    const caption = line.slice(sep + 2).trim();
    if (captions.has(id)) throw new Error(`${file}:${i + 1}: caption for "${id}" given twice`);
    captions.set(id, caption);
  });
  return captions;
}

function stem(name: string): string {
  return basename(name, extname(name));
}

export class RecordedCaptioner implements Captioner {
  readonly name = 'recorded';
  readonly modelId: string;
  readonly templateVersion: string;
  private readonly byKey = new Map<string, string>();
  /** A file lookup: caching it in the store would only copy the file there. */
  readonly cachesItself = true;
  /** Number of captions in the file. */
  readonly size: number;

  constructor(
    readonly file: string,
    text = readFileSync(file, 'utf8'),
  ) {
    const captions = parseCaptionFile(text, file);
    this.size = captions.size;
    for (const [id, caption] of captions) {
      this.byKey.set(id, caption);
      this.byKey.set(stem(id), caption);
    }
    this.modelId = `recorded:${basename(file)}`;
    // Another version of the file may hold other captions for the same ids.
    this.templateVersion = sha256Hex(text).slice(0, 16);
  }

  async caption(images: PreparedImage[]): Promise<(string | null)[]> {
    return images.map((img) => {
      const name = img.name ? basename(img.name) : undefined;
      const keys = [name, name && stem(name), img.sha256].filter((k): k is string => !!k);
      for (const k of keys) {
        const caption = this.byKey.get(k);
        if (caption !== undefined) return caption || null;
      }
      return null;
    });
  }

  /** The caption recorded for a post by its id (a Twitter IMGID names its image `<IMGID>.jpg`). */
  async captionById(id: string): Promise<string | null> {
    return this.byKey.get(id) || null;
  }
}
