// Format detection, reading and writing whole dataset files, and finding splits in a directory.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatJsonl, parseJsonl } from './jsonl.ts';
import { formatLineFormat, parseLineFormat, splitLines } from './lines.ts';
import { DataFormatError, type DataFormat, type Dataset, type Layout, type Post } from './types.ts';

export interface ReadOptions {
  /** Skip detection. */
  format?: DataFormat;
  /** Return the dataset with `issues` filled instead of throwing DataFormatError. */
  allowIssues?: boolean;
}

export function detectFormat(text: string, file: string): DataFormat {
  const { lines } = splitLines(text.slice(0, 1 << 16));
  const first = lines.find((l) => l.trim() !== '');
  if (first === undefined) throw new DataFormatError([{ file, line: 0, message: 'file is empty' }]);
  if (first.trimStart().startsWith('{')) return 'jsonl';
  if (first.startsWith('IMGID:')) return 'twitter';
  if (first.startsWith('WID:')) return 'cmner';
  if (lines.some((l) => l.startsWith('<EOS>\t'))) {
    throw new DataFormatError([
      {
        file,
        line: 0,
        message:
          'this is a PGIM knowledge file (<EOS> lines); pass it to --knowledge of ekmm tag or ekmm export, with the split it belongs to as --input',
      },
    ]);
  }
  return 'conll';
}

export function parseDataset(text: string, file: string, format?: DataFormat): Dataset {
  const fmt = format ?? detectFormat(text, file);
  return fmt === 'jsonl' ? parseJsonl(text, file) : parseLineFormat(text, file, fmt);
}

export async function readDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const text = await readFile(path, 'utf8');
  const dataset = parseDataset(text, path, options.format);
  if (dataset.issues.length > 0 && !options.allowIssues) throw new DataFormatError(dataset.issues);
  return dataset;
}

export function formatDataset(posts: readonly Post[], format: DataFormat, layout?: Partial<Layout>): string {
  return format === 'jsonl' ? formatJsonl(posts) : formatLineFormat(posts, format, layout);
}

/** Writes posts in `format`; pass the layout of a dataset read earlier to reproduce its bytes. */
export async function writeDataset(posts: readonly Post[], path: string, format: DataFormat, layout?: Partial<Layout>): Promise<void> {
  await writeFile(path, formatDataset(posts, format, layout), 'utf8');
}

export type SplitName = 'train' | 'valid' | 'test';
const SPLIT_ALIASES: Record<SplitName, string[]> = { train: ['train'], valid: ['valid', 'dev'], test: ['test'] };
const DATA_EXTENSIONS = ['.txt', '.conll', '.jsonl', '.tsv', '.bio', ''];

/** Files named train / valid|dev / test (.txt, .conll, .jsonl, .tsv, .bio) in a directory. */
export async function findSplits(dir: string): Promise<Partial<Record<SplitName, string>>> {
  const names = new Set(await readdir(dir));
  const found: Partial<Record<SplitName, string>> = {};
  for (const [split, aliases] of Object.entries(SPLIT_ALIASES) as [SplitName, string[]][]) {
    for (const alias of aliases) {
      const name = DATA_EXTENSIONS.map((ext) => alias + ext).find((n) => names.has(n));
      if (name && !found[split] && (await stat(join(dir, name))).isFile()) found[split] = join(dir, name);
    }
  }
  return found;
}
