// The "sharp" ImageIntake: bytes from wherever they come, sniffed, bounded, decoded once with a
// pixel limit (so decompression bombs fail before allocation), EXIF-oriented, downsized, PNG out.
import { createHash } from 'node:crypto';
import { open, realpath } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import type { ImageInput, Warning } from '../core/types.ts';
import type { ImageIntake, IntakeResult, PreparedImage, StageOptions } from '../core/stages.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { fetchImage, type Resolver } from './fetch.ts';
import { sniffFormat, type SniffedFormat } from './sniff.ts';
import { PreparedImageMemo } from './memo.ts';

export type IntakeConfig = EkmmConfig['intake'];

class Rejection {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {}
}

function describe(input: ImageInput): string {
  if (input.kind === 'path') return `file ${input.path}`;
  if (input.kind === 'url') return `URL ${input.url.slice(0, 200)}`;
  return input.name ? `upload "${input.name}"` : 'uploaded bytes';
}

function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function readFromPath(path: string, cfg: IntakeConfig): Promise<Uint8Array> {
  if (cfg.pathRoots.length === 0) throw new Rejection('image.path_refused', 'reading files is disabled (intake.pathRoots is empty)');
  let real: string;
  try {
    real = await realpath(resolve(path));
  } catch {
    throw new Rejection('image.not_found', 'file does not exist or cannot be read');
  }
  // Roots are resolved too, so a symlink inside a root cannot lead outside it.
  const roots = await Promise.all(cfg.pathRoots.map((r) => realpath(resolve(r)).catch(() => resolve(r))));
  if (!roots.some((root) => isInside(root, real))) {
    throw new Rejection('image.path_refused', `file is outside intake.pathRoots (${cfg.pathRoots.join(', ')})`);
  }
  const handle = await open(real, 'r').catch(() => {
    throw new Rejection('image.not_found', 'file cannot be opened');
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Rejection('image.not_found', 'not a regular file');
    if (stat.size > cfg.maxBytes) throw new Rejection('image.too_large', `${stat.size} bytes exceeds intake.maxBytes ${cfg.maxBytes}`);
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

export interface IntakeDeps {
  /** DNS for URL images; tests map a test hostname to 127.0.0.1. */
  resolve?: Resolver;
}

async function obtainBytes(input: ImageInput, cfg: IntakeConfig, options: StageOptions, deps: IntakeDeps): Promise<Uint8Array> {
  if (input.kind === 'bytes') {
    if (!(input.bytes instanceof Uint8Array)) throw new Rejection('image.not_image', 'bytes is not a Uint8Array');
    return input.bytes;
  }
  if (input.kind === 'path') return readFromPath(input.path, cfg);
  if (input.kind === 'url') {
    const got = await fetchImage(
      input.url,
      {
        allowedHosts: cfg.urlHosts,
        maxBytes: cfg.maxBytes,
        timeoutMs: cfg.fetchTimeoutMs,
        allowPrivate: cfg.allowPrivateAddresses,
        ...(deps.resolve ? { resolve: deps.resolve } : {}),
      },
      options,
    );
    if (!got.ok) throw new Rejection(got.code, got.reason);
    return got.bytes;
  }
  throw new Rejection('image.not_image', `unknown image input kind "${(input as { kind?: unknown }).kind}"`);
}

/** Formats libvips decodes in the bundled sharp build; BMP and HEIC (HEVC) are not among them. */
function decodable(format: SniffedFormat): boolean {
  if (format === 'bmp') return false;
  if (format === 'heif') return false;
  if (format === 'jxl') return sharp.format.jxl?.input.buffer === true;
  return true;
}

function isPixelLimitError(err: unknown): boolean {
  return /pixel limit/i.test((err as Error)?.message ?? '');
}

async function decode(
  bytes: Uint8Array,
  format: SniffedFormat,
  cfg: IntakeConfig,
): Promise<{ png: Buffer; width: number; height: number }> {
  // pages:1 takes the first frame of animations; limitInputPixels makes libvips refuse from the header.
  const options: SharpOptions = { limitInputPixels: cfg.maxPixels, pages: 1, failOn: 'error', sequentialRead: true };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, options).metadata();
  } catch (err) {
    if (isPixelLimitError(err)) throw new Rejection('image.too_many_pixels', `more than intake.maxPixels ${cfg.maxPixels} pixels`);
    throw corrupt(format);
  }
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  const width = meta.width ?? 0;
  if (width * frameHeight > cfg.maxPixels) {
    throw new Rejection('image.too_many_pixels', `${width}x${frameHeight} exceeds intake.maxPixels ${cfg.maxPixels}`);
  }
  try {
    const { data, info } = await sharp(bytes, options)
      .rotate()
      .resize({ width: cfg.maxSide, height: cfg.maxSide, fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 3 })
      .toBuffer({ resolveWithObject: true });
    return { png: data, width: info.width, height: info.height };
  } catch (err) {
    if (isPixelLimitError(err)) throw new Rejection('image.too_many_pixels', `more than intake.maxPixels ${cfg.maxPixels} pixels`);
    throw corrupt(format);
  }
}

/**
 * libvips' own wording ("VipsJpeg: Premature end of JPEG file", file names, internal states)
 * never reaches users: it says nothing they can act on and tells an attacker what we run.
 */
function corrupt(format: SniffedFormat): Rejection {
  return new Rejection('image.corrupt', `cannot be decoded: the ${format} data is damaged or incomplete`);
}

/**
 * `memo` holds images that passed every check before under the same config, so a hit skips
 * the checks that depend on content only (format, pixel limits) along with the decoding.
 * A memoised PNG buffer is shared between PreparedImages: consumers must not write into it.
 */
export async function prepareOne(
  input: ImageInput,
  index: number,
  cfg: IntakeConfig,
  memo?: PreparedImageMemo,
  options: StageOptions = {},
  deps: IntakeDeps = {},
): Promise<PreparedImage> {
  const bytes = await obtainBytes(input, cfg, options, deps);
  if (bytes.byteLength === 0) throw new Rejection('image.empty', 'zero bytes');
  if (bytes.byteLength > cfg.maxBytes)
    throw new Rejection('image.too_large', `${bytes.byteLength} bytes exceeds intake.maxBytes ${cfg.maxBytes}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = nameOf(input);
  const known = memo?.get(sha256);
  if (known)
    return { index, png: known.png, width: known.width, height: known.height, format: known.format, sha256, ...(name ? { name } : {}) };
  const format = sniffFormat(bytes);
  if (!format) throw new Rejection('image.not_image', 'content is not a recognised image format (checked magic bytes)');
  if (format === 'svg' && !cfg.allowSvg) throw new Rejection('image.svg_refused', 'SVG images are refused (intake.allowSvg is false)');
  if (!decodable(format)) throw new Rejection('image.unsupported_format', `${format} images are not supported by this build`);
  const decoded = await decode(bytes, format, cfg);
  memo?.set(sha256, { png: decoded.png, width: decoded.width, height: decoded.height, format });
  return { index, png: decoded.png, width: decoded.width, height: decoded.height, format, sha256, ...(name ? { name } : {}) };
}

/** The file name the image came with (recorded captions are looked up by it). */
function nameOf(input: ImageInput): string | undefined {
  if (input.kind === 'bytes') return input.name ? basename(input.name) : undefined;
  if (input.kind === 'path') return basename(input.path);
  try {
    return basename(decodeURIComponent(new URL(input.url).pathname)) || undefined;
  } catch {
    return undefined;
  }
}

function toWarning(index: number, input: ImageInput, err: unknown): Warning {
  if (err instanceof Rejection) {
    return { code: err.code, stage: 'intake', image: index, message: `image ${index + 1} (${describe(input)}): ${err.reason}` };
  }
  // An unexpected error's text may come from a library (libvips, the file system): not for users.
  return { code: 'image.failed', stage: 'intake', image: index, message: `image ${index + 1} (${describe(input)}): could not be read` };
}

export class SharpIntake implements ImageIntake {
  readonly name = 'sharp';
  /** Undefined when intake.memoBytes is 0. */
  readonly memo: PreparedImageMemo | undefined;
  constructor(
    private readonly cfg: IntakeConfig,
    private readonly deps: IntakeDeps = {},
  ) {
    this.memo = cfg.memoBytes > 0 ? new PreparedImageMemo(cfg.memoBytes) : undefined;
  }

  async prepare(inputs: ImageInput[], options: StageOptions = {}): Promise<IntakeResult[]> {
    const results: IntakeResult[] = [];
    // One at a time: bounds peak memory to a single decoded image.
    for (const [index, input] of inputs.entries()) {
      try {
        results.push({ ok: true, image: await prepareOne(input, index, this.cfg, this.memo, options, this.deps) });
      } catch (err) {
        results.push({ ok: false, warning: toWarning(index, input, err) });
      }
    }
    return results;
  }
}
