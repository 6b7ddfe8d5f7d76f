// CMNER keeps a post's images beside the text as `<wid>_<n>.jpg`.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const IMAGE_EXT = /\.(?:jpe?g|png|gif|webp|bmp)$/i;

/** Image paths per wid, sorted by name, for every `<wid>_<suffix>.<image ext>` file in `dir`. */
export async function indexImagesByWid(dir: string): Promise<Map<string, string[]>> {
  const byWid = new Map<string, string[]>();
  for (const name of (await readdir(dir)).sort()) {
    const underscore = name.indexOf('_');
    if (underscore <= 0 || !IMAGE_EXT.test(name)) continue;
    const wid = name.slice(0, underscore);
    const list = byWid.get(wid) ?? [];
    list.push(join(dir, name));
    byWid.set(wid, list);
  }
  return byWid;
}

/** The images of one post: `<wid>_<n>.jpg` files in `dir` (empty when it has none). */
export async function listPostImages(dir: string, wid: string): Promise<string[]> {
  return (await indexImagesByWid(dir)).get(wid) ?? [];
}
