// The prepared-image memo: repeated images skip decoding; the memo stays within its byte budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PreparedImageMemo } from '../../src/intake/memo.ts';
import { SharpIntake, type IntakeConfig } from '../../src/intake/sharp-intake.ts';
import { solid, TEST_INTAKE } from './fixtures.ts';

const cfg: IntakeConfig = TEST_INTAKE;

function entry(bytes: number): { png: Buffer; width: number; height: number; format: string } {
  return { png: Buffer.alloc(bytes), width: 1, height: 1, format: 'png' };
}

test('memo evicts the least recently used entries to stay within its byte budget', () => {
  const memo = new PreparedImageMemo(100);
  memo.set('a', entry(40));
  memo.set('b', entry(40));
  assert.ok(memo.get('a'), 'a is used, so b is now the oldest');
  memo.set('c', entry(40));
  assert.equal(memo.get('b'), undefined);
  assert.ok(memo.get('a'), "expected memo.get('a')");
  assert.ok(memo.get('c'), "expected memo.get('c')");
  assert.equal(memo.totalBytes, 80);
  memo.set('huge', entry(101));
  assert.equal(memo.get('huge'), undefined, 'an entry over the whole budget is not kept');
  assert.equal(memo.size, 2);
  memo.set('a', entry(10));
  assert.equal(memo.totalBytes, 50, 'replacing an entry replaces its size');
});

test('a repeated image is served from the memo: same pixels, its own index and name', async () => {
  const intake = new SharpIntake(cfg);
  const jpeg = await solid(2000, 1000, [200, 10, 10]).jpeg().toBuffer();
  const other = await solid(300, 300, [0, 0, 0]).png().toBuffer();
  const [first] = await intake.prepare([{ kind: 'bytes', bytes: jpeg, name: 'a.jpg' }]);
  assert.ok(first?.ok, 'expected first?.ok');
  assert.equal(intake.memo?.size, 1);
  const again = await intake.prepare([
    { kind: 'bytes', bytes: other },
    { kind: 'bytes', bytes: new Uint8Array(jpeg), name: 'b.jpg' },
  ]);
  const second = again[1];
  assert.ok(second?.ok, 'expected second?.ok');
  // The very same buffer: nothing was decoded or encoded again.
  assert.equal(second.image.png, first.image.png);
  assert.deepEqual(
    [second.image.index, second.image.name, second.image.width, second.image.height, second.image.format, second.image.sha256],
    [1, 'b.jpg', 1280, 640, 'jpeg', first.image.sha256],
  );
  assert.equal(intake.memo?.size, 2);
});

test('memoBytes 0 turns the memo off; rejected images are never memoised', async () => {
  const off = new SharpIntake({ ...cfg, memoBytes: 0 });
  assert.equal(off.memo, undefined);
  const png = await solid(64, 64, [1, 2, 3]).png().toBuffer();
  const [a] = await off.prepare([{ kind: 'bytes', bytes: png }]);
  const [b] = await off.prepare([{ kind: 'bytes', bytes: png }]);
  assert.ok(a?.ok && b?.ok, 'expected a?.ok && b?.ok');
  assert.notEqual(a.image.png, b.image.png);
  const on = new SharpIntake(cfg);
  const [bad] = await on.prepare([{ kind: 'bytes', bytes: Buffer.from('not an image at all') }]);
  assert.equal(bad?.ok, false);
  assert.equal(on.memo?.size, 0);
});
