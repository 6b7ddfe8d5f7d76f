// Recorded image captions, one `<IMGID>.<ext> :<caption>` line per image (PGIM's BLIP-2 files).
import { readFile } from 'node:fs/promises';
import { splitLines } from './lines.ts';
import { DataFormatError, type DataIssue } from './types.ts';

const CAPTION_LINE = /^(.+?)\.(?:jpe?g|png|gif|webp) :(.*)$/i;

export function parseCaptions(text: string, file: string): { captions: Map<string, string>; issues: DataIssue[] } {
  const captions = new Map<string, string>();
  const issues: DataIssue[] = [];
  splitLines(text).lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const m = CAPTION_LINE.exec(line);
    if (!m) {
      issues.push({ file, line: index + 1, message: "expected '<id>.jpg :<caption>'" });
      return;
    }
    const id = m[1]!;
    if (captions.has(id)) issues.push({ file, line: index + 1, message: `second caption for image '${id}'` });
    else captions.set(id, m[2]!.trim());
  });
  return { captions, issues };
}

/** Map from image id (the post's IMGID) to its caption. Throws DataFormatError on malformed lines. */
export async function readCaptions(file: string): Promise<Map<string, string>> {
  const { captions, issues } = parseCaptions(await readFile(file, 'utf8'), file);
  if (issues.length > 0) throw new DataFormatError(issues);
  return captions;
}
