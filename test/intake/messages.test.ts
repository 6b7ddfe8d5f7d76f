// What a user reads about a bad image is ours: libvips' wording never reaches a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharpIntake } from '../../src/intake/sharp-intake.ts';
import { solid, TEST_INTAKE } from './fixtures.ts';

test('a truncated JPEG is image.corrupt with our message, not libvips internals', async () => {
  const jpeg = await solid(64, 64, [200, 10, 10]).jpeg().toBuffer();
  const truncated = new Uint8Array(jpeg.subarray(0, Math.floor(jpeg.length / 3)));
  const damaged = new Uint8Array(jpeg);
  damaged.fill(0, 20, 200);
  const results = await new SharpIntake({ ...TEST_INTAKE, memoBytes: 0 }).prepare([
    { kind: 'bytes', bytes: truncated },
    { kind: 'bytes', bytes: damaged },
  ]);
  for (const r of results) {
    if (r.ok) continue;
    assert.equal(r.warning.code, 'image.corrupt');
    assert.match(r.warning.message, /cannot be decoded: the jpeg data is damaged or incomplete/);
    assert.doesNotMatch(r.warning.message, /vips|VipsJpeg|Premature|libjpeg|marker/i);
  }
  assert.ok(
    results.some((r) => !r.ok),
    'at least one of them is refused',
  );
});
