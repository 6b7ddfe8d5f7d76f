// Finds a post's images in an image folder: Twitter keeps `<IMGID>.jpg`, CMNER `<wid>_<n>.jpg`.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const IMAGE_EXT = /\.(?:jpe?g|png|gif|webp|bmp)$/i;

/** Image file names (relative to `dir`) per post id, sorted by name; ids with none are absent. */
export async function findPostImages(dir: string, ids: readonly string[]): Promise<Map<string, string[]>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => IMAGE_EXT.test(n)).sort();
  } catch (err) {
    throw new Error(`cannot read the image folder ${dir}: ${(err as Error).message}`);
  }
  const byStem = new Map<string, string[]>();
  const add = (key: string, name: string) => byStem.set(key, [...(byStem.get(key) ?? []), name]);
  for (const name of names) {
    const stem = name.replace(IMAGE_EXT, '');
    add(stem, name);
    const underscore = stem.indexOf('_');
    if (underscore > 0) add(`${stem.slice(0, underscore)}_`, name);
  }
  const out = new Map<string, string[]>();
  for (const id of ids) {
    // `<id>.jpg` first (Twitter); otherwise every `<id>_*.jpg` (CMNER).
    const found = byStem.get(id) ?? byStem.get(`${id}_`);
    if (found) out.set(id, found);
  }
  return out;
}

export function imagePath(dir: string, name: string): string {
  return join(dir, name);
}
