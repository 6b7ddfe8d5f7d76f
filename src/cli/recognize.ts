// `ekmm recognize`: one message in, its Recognition out, as a readable report or (--json) as
// exactly one JSON object on stdout. Logs of any stage go to stderr.
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { createEngine } from '../app/engine.ts';
import type { Entity, LanguageSetting, Message, Recognition } from '../core/types.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { createProgress } from './progress.ts';

const HELP = `Usage: ekmm recognize --text "..." [--image PATH]... [--lang en|zh|auto] [--json] [--config FILE]

Recognizes named entities in a message's text and in its images (OCR lines, captions).
Give --text, --image or both.

Options:
  --text TEXT     the message text (or give it as the only positional argument); "-" reads stdin
  --image PATH    an image attached to the message; repeat for several. An http(s) URL is
                  fetched only from hosts listed in intake.urlHosts
  --lang LANG     en, zh or auto (default: the config's "language")
  --json          print the Recognition as one JSON object on stdout, nothing else
  --config FILE   YAML file layered over config/default.yaml
  -h, --help      show this help

An image named here that cannot be used (no such file, outside intake.pathRoots, a URL that
cannot be fetched) becomes a warning in the result, is named on stderr, and the exit code is 1.
An image whose content is refused (too large, corrupt, not an image) is a warning only (exit 0).
Exit codes: 0 done, 1 done but an image named here could not be used, 2 bad usage or configuration.

Examples:
  ekmm recognize --text "Barack Obama meets Angela Merkel in Berlin" --image examples/poster.png
  ekmm recognize "Paris by night" --lang en --json
`;

/**
 * Intake warnings meaning the input the user named could not be obtained at all, as opposed to
 * obtained and refused for its content (too large, corrupt, not an image), which stays exit 0.
 */
const UNUSABLE_INPUT = new Set(['image.not_found', 'image.path_refused', 'image.fetch_failed', 'image.host_refused']);

const OPTIONS = {
  text: { type: 'string' },
  image: { type: 'string', multiple: true },
  lang: { type: 'string' },
  json: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const LANGS: readonly LanguageSetting[] = ['en', 'zh', 'auto'];

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** Config with the cwd and each image's directory allowed as intake path roots. */
export function configForImages(file: string | undefined, images: string[]): EkmmConfig {
  const base = loadConfig(file ? { file } : {});
  const files = images.filter((p) => !isUrl(p));
  const roots = new Set([...base.intake.pathRoots, process.cwd(), ...files.map((p) => dirname(resolve(p)))]);
  return loadConfig({ ...(file ? { file } : {}), overrides: { intake: { pathRoots: [...roots] } } });
}

// CJK and full-width characters take two terminal columns; columns line up only if counted so.
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) width += WIDE.test(ch) ? 2 : 1;
  return width;
}

function pad(s: string, n: number): string {
  const w = displayWidth(s);
  return w >= n ? s : s + ' '.repeat(n - w);
}

/** 1-based number of OCR line `index` within its own image (r.ocr numbers lines across images). */
export function lineInImage(r: Recognition, index: number): number {
  const image = r.ocr[index]?.image;
  let n = 0;
  for (let i = 0; i <= index && i < r.ocr.length; i++) if (r.ocr[i]!.image === image) n++;
  return n;
}

function where(e: Entity, r: Recognition): string {
  if (e.source === 'ocr' && e.ocrLine !== undefined) {
    const line = r.ocr[e.ocrLine];
    return `image ${(line?.image ?? 0) + 1} line ${lineInImage(r, e.ocrLine)}`;
  }
  if (e.source === 'caption' && e.caption !== undefined) return `caption ${(r.captions[e.caption]?.image ?? 0) + 1}`;
  return `${e.start}-${e.end}`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((row) => displayWidth(row[i]!))));
  return [header, ...rows].map(
    (row) =>
      '  ' +
      row
        .map((cell, i) => pad(cell, widths[i]!))
        .join('  ')
        .trimEnd(),
  );
}

export function formatRecognition(r: Recognition): string {
  const out: string[] = [];
  out.push(`Text (${r.language}): ${r.text || '(empty)'}`, '');
  out.push(`Entities (${r.entities.length}):`);
  if (r.entities.length === 0) out.push('  (none)');
  else {
    const sorted = [...r.entities].sort((a, b) => a.type.localeCompare(b.type) || a.source.localeCompare(b.source) || a.start - b.start);
    out.push(
      ...table(
        ['TYPE', 'ENTITY', 'SOURCE', 'WHERE', 'SCORE', 'BACKEND'],
        sorted.map((e) => [e.type, e.text, e.source, where(e, r), e.score === undefined ? '' : e.score.toFixed(2), e.backend]),
      ),
    );
  }
  if (r.ocr.length) {
    out.push('', `OCR lines (${r.ocr.length}):`);
    out.push(...r.ocr.map((l, i) => `  [image ${l.image + 1}] line ${lineInImage(r, i)} (${l.score.toFixed(2)}) ${l.text}`));
  }
  if (r.captions.length) {
    out.push('', 'Captions:');
    out.push(...r.captions.map((c) => `  [image ${c.image + 1}] (${c.backend}) ${c.text}`));
  }
  if (r.warnings.length) {
    out.push('', `Warnings (${r.warnings.length}):`);
    out.push(...r.warnings.map((w) => `  ${w.code} [${w.stage}${w.image === undefined ? '' : `, image ${w.image + 1}`}] ${w.message}`));
  }
  if (r.droppedEntities) out.push('', `Dropped entities (not found in any input, or of a type not configured): ${r.droppedEntities}`);
  const timings = Object.entries(r.timings).map(([k, v]) => `${k} ${Math.round(v)} ms`);
  out.push('', `Timings: ${timings.join(' · ') || '(none)'}`);
  return out.join('\n') + '\n';
}

/** Sends console.log/info/debug to stderr while `fn` runs, so stdout carries only the JSON. */
async function withStdoutReserved<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = console.info = console.debug = console.error;
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function recognizeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, true);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1 || (positionals.length === 1 && values.text !== undefined)) {
    throw new UsageError(
      `unexpected argument(s) ${positionals.map((p) => JSON.stringify(p)).join(' ')}; quote the text or pass it with --text`,
    );
  }
  let text = values.text ?? positionals[0];
  if (text === '-') text = await readStdin();
  const images = values.image ?? [];
  if (text === undefined && images.length === 0) throw new UsageError('give --text "..." and/or --image PATH (see --help)');
  const lang = values.lang;
  if (lang !== undefined && !(LANGS as readonly string[]).includes(lang)) {
    throw new UsageError(`--lang must be one of ${LANGS.join(', ')}; got "${lang}"`);
  }

  const config = configForImages(values.config, images);
  const message: Message = { text: text ?? '' };
  if (lang) message.language = lang as LanguageSetting;
  if (images.length) {
    message.images = images.map((p) => (isUrl(p) ? { kind: 'url' as const, url: p } : { kind: 'path' as const, path: resolve(p) }));
  }

  const run = async () => {
    // The engine reads all images in one call and reports no counts, so this shows elapsed time.
    const progress = images.length > 1 ? createProgress(`ekmm recognize: reading ${images.length} images`, { tick: true }) : undefined;
    const engine = await createEngine(config);
    try {
      return await engine.recognize(message);
    } finally {
      progress?.end();
      await engine.close();
    }
  };
  let recognition: Recognition;
  if (values.json) {
    recognition = await withStdoutReserved(run);
    process.stdout.write(JSON.stringify(recognition) + '\n');
  } else {
    recognition = await run();
    process.stdout.write(formatRecognition(recognition));
  }
  const unusable = recognition.warnings.filter((w) => w.stage === 'intake' && UNUSABLE_INPUT.has(w.code));
  for (const w of unusable) {
    const named = w.image === undefined ? undefined : images[w.image];
    process.stderr.write(`ekmm recognize: --image ${named ?? '?'} could not be used: ${w.message} (${w.code})\n`);
  }
  return unusable.length > 0 ? 1 : 0;
}
