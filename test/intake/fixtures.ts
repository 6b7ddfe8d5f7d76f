// Builders for intake test images: everything is made here, nothing is read from disk.
import { crc32, deflateSync } from 'node:zlib';
import type { IntakeConfig } from '../../src/intake/sharp-intake.ts';
import sharp, { type Sharp } from 'sharp';

export function solid(width: number, height: number, rgb: [number, number, number]): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A ~100-byte PNG whose header declares width x height: decoding it would allocate gigabytes. */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const someRows = deflateSync(Buffer.alloc(1 + width * 3 * 2));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', someRows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Left half red, right half blue: shows where the image ended up after rotation. */
export async function halfAndHalf(width: number, height: number): Promise<Buffer> {
  const right = await solid(width / 2, height, [0, 0, 255])
    .png()
    .toBuffer();
  return solid(width, height, [255, 0, 0])
    .composite([{ input: right, left: width / 2, top: 0 }])
    .png()
    .toBuffer();
}

export async function animatedGif(): Promise<Buffer> {
  const red = await solid(40, 30, [255, 0, 0]).png().toBuffer();
  const blue = await solid(40, 30, [0, 0, 255]).png().toBuffer();
  return sharp([red, blue, blue], { join: { animated: true } })
    .gif({ delay: [100, 100, 100] })
    .toBuffer();
}

export async function pixelAt(png: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

/** Intake limits for tests: the defaults, with a 5 MiB byte cap so oversize fixtures stay small. */
export const TEST_INTAKE: IntakeConfig = {
  backend: 'sharp',
  maxBytes: 5 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxSide: 1280,
  allowSvg: false,
  urlHosts: [],
  allowPrivateAddresses: false,
  fetchTimeoutMs: 2000,
  pathRoots: [],
  memoBytes: 8 * 1024 * 1024,
};
