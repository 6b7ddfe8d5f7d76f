import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { SharpIntake, type IntakeConfig } from '../../src/intake/sharp-intake.ts';
import type { ImageInput } from '../../src/core/types.ts';
import type { IntakeResult } from '../../src/core/stages.ts';
import { animatedGif, halfAndHalf, pixelAt, pngBomb, solid, TEST_INTAKE } from './fixtures.ts';

const base: IntakeConfig = TEST_INTAKE;

async function one(input: ImageInput, cfg: Partial<IntakeConfig> = {}): Promise<IntakeResult> {
  const [r] = await new SharpIntake({ ...base, ...cfg }).prepare([input]);
  assert.ok(r, 'expected r');
  return r;
}

function bytes(b: Uint8Array, name?: string): ImageInput {
  return name ? { kind: 'bytes', bytes: b, name } : { kind: 'bytes', bytes: b };
}

function assertRejected(r: IntakeResult, code: string, index = 0): void {
  assert.equal(r.ok, false, `expected ${code}, got an image`);
  if (r.ok) return;
  assert.equal(r.warning.code, code, r.warning.message);
  assert.equal(r.warning.stage, 'intake');
  assert.equal(r.warning.image, index);
  assert.match(r.warning.message, new RegExp(`^image ${index + 1} `));
}

test('a valid PNG comes out as PNG with the sha256 of the original bytes', async () => {
  const png = await solid(64, 32, [10, 20, 30]).png().toBuffer();
  const r = await one(bytes(png));
  assert.ok(r.ok, 'expected r.ok');
  assert.equal(r.image.format, 'png');
  assert.equal(r.image.width, 64);
  assert.equal(r.image.height, 32);
  assert.equal(r.image.sha256, createHash('sha256').update(png).digest('hex'));
  assert.equal((await sharp(r.image.png).metadata()).format, 'png');
});

test('large images are downsized to maxSide, small ones never enlarged', async () => {
  const big = await solid(3000, 1500, [0, 0, 0]).jpeg().toBuffer();
  const r = await one(bytes(big), { maxSide: 1000 });
  assert.ok(r.ok, 'expected r.ok');
  assert.deepEqual([r.image.width, r.image.height, r.image.format], [1000, 500, 'jpeg']);
  const small = await solid(50, 20, [0, 0, 0]).webp().toBuffer();
  const s = await one(bytes(small), { maxSide: 1000 });
  assert.ok(s.ok, 'expected s.ok');
  assert.deepEqual([s.image.width, s.image.height, s.image.format], [50, 20, 'webp']);
});

test('zero bytes, text, and corrupt data are warnings with stable codes', async () => {
  const intake = new SharpIntake(base);
  const png = await solid(64, 64, [1, 2, 3]).png().toBuffer();
  const jpeg = await solid(64, 64, [1, 2, 3]).jpeg().toBuffer();
  const garbage = Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 0x5a)]);
  const noisyJpeg = Buffer.concat([jpeg.subarray(0, 3), Buffer.alloc(500, 0x11)]);
  const results = await intake.prepare([
    bytes(new Uint8Array(0), 'empty.png'),
    bytes(Buffer.from('hello, this is not an image\n'), 'notes.txt'),
    bytes(garbage),
    bytes(noisyJpeg),
    bytes(png),
  ]);
  assertRejected(results[0]!, 'image.empty', 0);
  assert.match((results[0] as { warning: { message: string } }).warning.message, /empty\.png/);
  assertRejected(results[1]!, 'image.not_image', 1);
  assertRejected(results[2]!, 'image.corrupt', 2);
  assertRejected(results[3]!, 'image.corrupt', 3);
  assert.equal(results[4]!.ok, true, 'a good image after bad ones still passes');
});

test('images over maxBytes are refused before decoding', async () => {
  const png = await solid(300, 300, [9, 9, 9]).png({ compressionLevel: 0 }).toBuffer();
  assertRejected(await one(bytes(png), { maxBytes: 1000 }), 'image.too_large');
});

test('a decompression bomb (tiny PNG declaring 30000x30000) is refused from its header', async () => {
  const bomb = pngBomb(30000, 30000);
  assert.ok(bomb.length < 100_000, 'expected bomb.length < 100_000');
  const started = Date.now();
  assertRejected(await one(bytes(bomb)), 'image.too_many_pixels');
  assert.ok(Date.now() - started < 2000, 'refused without decoding');
  // Under the limit but over a tight maxPixels: the same check with real pixels.
  const real = await solid(400, 400, [0, 0, 0]).png().toBuffer();
  assertRejected(await one(bytes(real), { maxPixels: 100_000 }), 'image.too_many_pixels');
});

test('SVG is refused unless allowSvg', async () => {
  const svg = Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="red"/></svg>',
  );
  assertRejected(await one(bytes(svg)), 'image.svg_refused');
  const allowed = await one(bytes(svg), { allowSvg: true });
  assert.ok(allowed.ok, 'expected allowed.ok');
  assert.equal(allowed.image.format, 'svg');
  assert.equal(allowed.image.width, 40);
});

test('EXIF orientation is applied', async () => {
  const src = await halfAndHalf(200, 100);
  // Orientation 6: the stored pixels must be turned 90° clockwise to display.
  const jpeg = await sharp(src).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const r = await one(bytes(jpeg));
  assert.ok(r.ok, 'expected r.ok');
  assert.deepEqual([r.image.width, r.image.height], [100, 200]);
  const top = await pixelAt(r.image.png, 50, 20);
  const bottom = await pixelAt(r.image.png, 50, 180);
  assert.ok(top[0] > 200 && top[2] < 60, `top should be red, got ${top}`);
  assert.ok(bottom[2] > 200 && bottom[0] < 60, `bottom should be blue, got ${bottom}`);
});

test('animated GIF: the first frame only', async () => {
  const gif = await animatedGif();
  const r = await one(bytes(gif));
  assert.ok(r.ok, 'expected r.ok');
  assert.equal(r.image.format, 'gif');
  assert.deepEqual([r.image.width, r.image.height], [40, 30]);
  const px = await pixelAt(r.image.png, 20, 15);
  assert.ok(px[0] > 200 && px[2] < 60, `first frame is red, got ${px}`);
});

test('paths: refused unless under pathRoots, symlinks cannot escape', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ekmm-intake-'));
  const outside = await mkdtemp(join(tmpdir(), 'ekmm-outside-'));
  const png = await solid(20, 20, [0, 255, 0]).png().toBuffer();
  await writeFile(join(root, 'ok.png'), png);
  await writeFile(join(outside, 'secret.png'), png);
  await symlink(join(outside, 'secret.png'), join(root, 'link.png'));
  assertRejected(await one({ kind: 'path', path: join(root, 'ok.png') }), 'image.path_refused');
  const cfg = { pathRoots: [root] };
  assert.equal((await one({ kind: 'path', path: join(root, 'ok.png') }, cfg)).ok, true);
  assertRejected(await one({ kind: 'path', path: join(outside, 'secret.png') }, cfg), 'image.path_refused');
  assertRejected(await one({ kind: 'path', path: join(root, 'link.png') }, cfg), 'image.path_refused');
  assertRejected(await one({ kind: 'path', path: join(root, '../nope/x.png') }, cfg), 'image.not_found');
});

test('the plugin registers "sharp" built from ctx.config.intake', async () => {
  const { createRegistries } = await import('../../src/core/registry.ts');
  const { loadConfig } = await import('../../src/config/load.ts');
  const registerIntake = (await import('../../src/intake/register.ts')).default;
  const registries = createRegistries();
  await registerIntake(registries);
  const config = loadConfig({ skipDefaultFile: true, env: {}, overrides: { intake: { maxSide: 16 } } });
  const intake = await registries.intake.create('sharp', { config, registries });
  assert.equal(intake.name, 'sharp');
  const [r] = await intake.prepare([bytes(await solid(64, 32, [0, 0, 0]).png().toBuffer())]);
  assert.ok(r?.ok, 'expected r?.ok');
  assert.deepEqual([r.image.width, r.image.height], [16, 8]);
});
