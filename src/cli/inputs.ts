// Files named on the command line, checked before use so that every failure names the flag, the
// path and what would be valid (exit 1 through InputError), instead of a raw ENOENT or a parse of
// a JPEG as 144 malformed CoNLL lines.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { projectPath } from '../config/load.ts';
import { isMostlyHan } from '../core/language.ts';
import { DataFormatError, readDataset, type Dataset } from '../data/index.ts';
import { InputError, requireInputFile, UsageError } from './args.ts';

const FORMATS_TEXT = 'a dataset file: Twitter IMGID, CMNER WID, CoNLL (token<TAB>tag lines) or JSONL';

/** True when the first bytes hold a NUL: text datasets never do, images and archives nearly always. */
async function looksBinary(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(8192), 0, 8192, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a dataset named by `flag` (or a positional, flag = 'PATH'). Refuses files that are not
 * datasets: binary content, or a CoNLL read (the fallback format) that found no token lines or
 * more malformed lines than tokens.
 */
export async function readInputDataset(path: string, flag: string, options: { allowIssues?: boolean } = {}): Promise<Dataset> {
  await requireInputFile(path, flag);
  const label = flag === 'PATH' ? path : `${flag} ${path}`;
  if (await looksBinary(path)) throw new InputError(`${label}: binary content (an image or archive?), not ${FORMATS_TEXT}`);
  let ds: Dataset;
  try {
    ds = await readDataset(path, { allowIssues: true });
  } catch (err) {
    if (err instanceof DataFormatError) throw new InputError(`${label}: ${err.message}`);
    throw err;
  }
  const tokens = ds.posts.reduce((n, p) => n + p.tokens.length, 0);
  if (ds.format === 'conll' && (tokens === 0 || ds.issues.length > tokens)) {
    const first = ds.issues[0];
    const example = first ? ` (first problem: line ${first.line}: ${first.message})` : '';
    throw new InputError(
      `${label}: not a dataset: ${tokens} token lines, ${ds.issues.length} malformed lines${example}; expected ${FORMATS_TEXT}`,
    );
  }
  if (ds.issues.length > 0 && !options.allowIssues) throw new InputError(`${label}: ${new DataFormatError(ds.issues).message}`);
  return ds;
}

/** Names of the committed models (models/ner-<name> holding a manifest.json). */
export async function committedModels(): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(projectPath('models')).catch(() => [])) {
    if (!entry.startsWith('ner-')) continue;
    if (
      await stat(join(projectPath('models'), entry, 'manifest.json')).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      names.push(entry.slice(4));
  }
  return names.sort();
}

/** `--model en|zh|DIR` to a model directory; anything else is a usage error listing the models there are. */
export async function resolveModelDir(model: string): Promise<string> {
  const models = await committedModels();
  if (models.includes(model)) return projectPath(`models/ner-${model}`);
  if (
    await stat(join(model, 'manifest.json')).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    return model;
  const listed = models.map((m) => `${m} (models/ner-${m})`).join(', ') || '(none committed)';
  throw new UsageError(`--model ${model}: no such model; models here: ${listed}, or a directory holding a manifest.json`);
}

/** The language the posts' tokens are written in, judged on up to the first 500 posts. */
export function datasetLanguage(ds: Dataset): 'en' | 'zh' {
  const sample = ds.posts
    .slice(0, 500)
    .map((p) => p.tokens.join(' '))
    .join(' ');
  return isMostlyHan(sample) ? 'zh' : 'en';
}
