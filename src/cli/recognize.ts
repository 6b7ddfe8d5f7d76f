// `ekmm recognize`: one message in, its Recognition out, as a readable report or (--json) as
// exactly one JSON object on stdout. Logs of any stage go to stderr.
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { createEngine } from '../app/engine.ts';
import type { Entity, LanguageSetting, Message, Recognition } from '../core/types.ts';
import { parseCommandArgs, UsageError } from './args.ts';

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

An image that cannot be read becomes a warning in the result; the exit code stays 0.
Exit codes: 0 done, 1 failed, 2 bad usage or bad configuration.
`;

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

function where(e: Entity, r: Recognition): string {
  if (e.source === 'ocr' && e.ocrLine !== undefined) {
    const line = r.ocr[e.ocrLine];
    return `image ${(line?.image ?? 0) + 1} line ${e.ocrLine + 1}`;
  }
  if (e.source === 'caption' && e.caption !== undefined) return `caption ${(r.captions[e.caption]?.image ?? 0) + 1}`;
  return `${e.start}-${e.end}`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((row) => displayWidth(row[i]!))));
  return [header, ...rows].map((row) => '  ' + row.map((cell, i) => pad(cell, widths[i]!)).join('  ').trimEnd());
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
    out.push(...r.ocr.map((l, i) => `  [image ${l.image + 1}] #${i + 1} (${l.score.toFixed(2)}) ${l.text}`));
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
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function recognizeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, true);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1 || (positionals.length === 1 && values.text !== undefined)) {
    throw new UsageError(`unexpected argument(s) ${positionals.map((p) => JSON.stringify(p)).join(' ')}; quote the text or pass it with --text`);
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
    const engine = await createEngine(config);
    try {
      return await engine.recognize(message);
    } finally {
      await engine.close();
    }
  };
  if (values.json) {
    const recognition = await withStdoutReserved(run);
    process.stdout.write(JSON.stringify(recognition) + '\n');
  } else {
    process.stdout.write(formatRecognition(await run()));
  }
  return 0;
}
