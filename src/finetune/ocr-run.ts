// OCR text for export: every post's images go through the same intake and the same ppocr backend
// the service uses, so a prompt's "text in the image" part is what serving would read.
import type { EkmmConfig } from '../config/schema.ts';
import { SharpIntake } from '../intake/sharp-intake.ts';
import { PpOcr } from '../ocr/ppocr.ts';
import { imagePath } from './post-images.ts';

export interface PostOcr {
  /** OCR lines per post id, images in name order, lines in reading order. */
  lines: Map<string, string[]>;
  /** Posts whose images could not be read, with the reason (they get no entry in `lines`). */
  problems: Map<string, string>;
  images: number;
}

export async function ocrPostImages(
  dir: string,
  images: ReadonlyMap<string, readonly string[]>,
  config: EkmmConfig,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<PostOcr> {
  const intake = new SharpIntake({ ...config.intake, pathRoots: [dir] });
  const ocr = await PpOcr.create(config.ocr);
  const lines = new Map<string, string[]>();
  const problems = new Map<string, string>();
  let count = 0;
  let done = 0;
  try {
    for (const [id, names] of images) {
      const prepared = await intake.prepare(names.map((n) => ({ kind: 'path' as const, path: imagePath(dir, n) })));
      const bad = prepared.flatMap((r, i) => (r.ok ? [] : [`${names[i]}: ${r.warning.message}`]));
      const ok = prepared.flatMap((r) => (r.ok ? [r.image] : []));
      const read = await ocr.readDetailed(ok, 'zh');
      const failed = read.warnings.filter((w) => w.code !== 'ocr.low_confidence').map((w) => w.message);
      count += names.length;
      if (bad.length || failed.length) problems.set(id, `images not read: ${[...bad, ...failed].join('; ')}`);
      else
        lines.set(
          id,
          read.lines.flat().map((l) => l.text),
        );
      progress(++done, images.size);
    }
  } finally {
    await ocr.close();
  }
  return { lines, problems, images: count };
}
