// The streaming JSON body reader of POST /api/recognize (adapters/web/json-body.ts): whatever the
// chunking, it gives the message JSON.parse would (message.ts), with image data decoded straight
// from the body; over a limit it refuses before the body is read to its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readJsonMessage, textOnlyBodyBytes } from '../../adapters/web/json-body.ts';
import { messageFromJson } from '../../adapters/web/message.ts';
import { HttpError } from '../../adapters/web/http.ts';
import type { Message } from '../../src/core/types.ts';

const limits = { maxBodyBytes: 25 * 1024 * 1024, maxTextChars: 10_000 };

/** A deterministic pseudo-random source (tests must not flake). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function chunks(body: Buffer, sizes: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const n = Math.max(1, Math.min(body.length - at, sizes()));
    out.push(body.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** The outcome of a parse, comparable across the two readers: the message, or the error's status and code. */
async function outcome(run: () => Message | Promise<Message>): Promise<unknown> {
  try {
    const m = await run();
    return { ...m, images: m.images?.map((i) => (i.kind === 'bytes' ? { ...i, bytes: Buffer.from(i.bytes).toString('hex') } : i)) };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { status: err.status, code: err.code, message: err.message };
  }
}

const b64 = (n: number, seed: number) => {
  const r = prng(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256))).toString('base64');
};

const BODIES: string[] = [
  JSON.stringify({ text: 'Barack Obama in Paris' }),
  JSON.stringify({ text: 'naïve café 北京 😀 "quoted" \\ back\nslash', language: 'en', community: 'c1', user: 'u', id: 42 }),
  JSON.stringify({ text: 'two images', images: [{ data: b64(3000, 1), name: 'a.png' }, { data: `data:image/png;base64,${b64(70, 2)}` }] }),
  JSON.stringify({ images: [{ url: 'http://images.test/x.png' }, { name: 'n', data: b64(2, 3) }], text: 'data after name' }),
  // Escaped data ("\/" is legal JSON): decoded by JSON.parse, as before.
  `{"text":"t","images":[{"data":"${b64(300, 4).replace(/\//g, '\\/')}"}]}`,
  // Base64 with spaces inside, and a stray character: the old path's answer and error.
  JSON.stringify({ text: 't', images: [{ data: `${b64(30, 5).slice(0, 8)} ${b64(30, 5).slice(8)}` }] }),
  JSON.stringify({ text: 't', images: [{ data: `${b64(30, 6)}!` }] }),
  JSON.stringify({ text: 't', images: [{ data: '' }] }),
  JSON.stringify({ text: 't', images: [{ data: 'data:image/png;base64,' }] }),
  JSON.stringify({ text: 't', images: [{ data: '==' }, { data: b64(9, 7).replace(/=+$/, '') }] }),
  // Repeated keys: JSON.parse keeps the last.
  `{"text":"t","images":[{"data":"${b64(12, 8)}"},{"data":"${b64(15, 9)}"}],"images":[{"data":"${b64(6, 10)}"}]}`,
  `{"text":"t","images":[{"data":"${b64(12, 11)}","data":"${b64(9, 12)}"}]}`,
  // Nesting the scanner has to follow, and whitespace everywhere.
  ` { "text" : "a" , "images" : [ { "name" : "x" , "data" : "${b64(48, 13)}" } , { "data":"${b64(5, 14)}" } ] } `,
  '{"text":"t","images":[{"data":"QUJD"}],"extra":{"nested":[1,2,{"data":"QUJD"}]}}',
  // Not what the API wants: the same 400s.
  '{"text": "unterminated',
  '["text"]',
  '{"text":"t"} trailing',
  '{"text":"t","images":"nope"}',
  '{"text":"t","images":[{"data":"QUJD"}]',
  '{"te\\u0078t":"escaped key","images":[{"d\\u0061ta":"QUJD"}]}',
];

test('streamed in any chunking, a body gives the same message (or the same error) as JSON.parse of it whole', async () => {
  const random = prng(99);
  for (const [i, text] of BODIES.entries()) {
    const body = Buffer.from(text);
    const expected = await outcome(() => messageFromJson(body));
    for (const split of [() => body.length, () => 1, () => 1 + Math.floor(random() * 7), () => 1 + Math.floor(random() * 200)]) {
      const pieces = chunks(body, split);
      const got = await outcome(() => readJsonMessage(Readable.from(pieces), body.length, limits));
      assert.deepEqual(got, expected, `body ${i} in ${pieces.length} chunks`);
    }
  }
});

test('image data of several MiB is decoded from the body, in slices, to the same bytes', async () => {
  const image = Buffer.from(b64(3 * 1024 * 1024 + 5, 21), 'base64');
  const body = Buffer.from(
    JSON.stringify({ text: 'photo', images: [{ data: image.toString('base64') }, { data: image.toString('base64url') }] }),
  );
  const message = await readJsonMessage(Readable.from(chunks(body, () => 65536)), body.length, limits);
  for (const img of message.images ?? []) {
    assert.ok(img.kind === 'bytes');
    assert.ok(Buffer.from(img.bytes).equals(image));
    // An ArrayBuffer of its own (later stages may transfer it to a worker).
    assert.equal(img.bytes.byteLength, img.bytes.buffer.byteLength);
  }
  assert.equal(message.images?.length, 2);
});

/** A stream that counts how many of its chunks were read. */
function counted(pieces: Buffer[]): { stream: Readable; pulled: () => number } {
  let n = 0;
  const stream = Readable.from(
    (function* () {
      for (const p of pieces) {
        n++;
        yield p;
      }
    })(),
  );
  return { stream, pulled: () => n };
}

test('past the text limit, or past the bytes a text-only body can need, the reader refuses before the end of the body', async () => {
  const small = { maxBodyBytes: limits.maxBodyBytes, maxTextChars: 1000 };
  const cases: [string, string][] = [
    [JSON.stringify({ text: 'x'.repeat(1024 * 1024) }), 'request.text_too_long'],
    [JSON.stringify({ text: 'é'.repeat(512 * 1024) }), 'request.text_too_long'],
    [JSON.stringify({ text: 'ok', user: 'x'.repeat(1024 * 1024) }), 'body.too_large'],
    [JSON.stringify({ text: 'ok', images: [{ url: `http://x.test/${'y'.repeat(1024 * 1024)}` }] }), 'body.too_large'],
    [`{"text":"ok","images":[{"data":"QUJD"}],"pad":[${'1,'.repeat(512 * 1024)}1]}`, 'body.too_large'],
  ];
  for (const [text, code] of cases) {
    const pieces = chunks(Buffer.from(text), () => 16 * 1024);
    const { stream, pulled } = counted(pieces);
    await assert.rejects(
      readJsonMessage(stream, undefined, small),
      (err: HttpError) => err.status === 413 && err.code === code && err.headers.connection === 'close',
      code,
    );
    assert.ok(pulled() < pieces.length / 4, `${code}: read ${pulled()} of ${pieces.length} chunks`);
  }
  // The cap: the longest text, every character escaped, plus the other fields, is accepted.
  const longest = JSON.stringify({ text: '\u0001'.repeat(1000), user: 'u'.repeat(256), community: 'c'.repeat(256) });
  assert.ok(Buffer.byteLength(longest) < textOnlyBodyBytes(1000));
  assert.equal((await readJsonMessage(Readable.from([Buffer.from(longest)]), undefined, small)).text.length, 1000);
  // server.maxBodyBytes holds without a Content-Length too.
  const big = chunks(Buffer.from(JSON.stringify({ text: 'ok', images: [{ data: b64(600_000, 3) }] })), () => 65536);
  await assert.rejects(
    readJsonMessage(Readable.from(big), undefined, { maxBodyBytes: 100_000, maxTextChars: 1000 }),
    (err: HttpError) => err.status === 413 && err.code === 'body.too_large',
  );
});

test('a body whose stream closes before its end is refused, not left waiting', async () => {
  const stream = new Readable({ read() {} });
  const reading = readJsonMessage(stream, 1000, limits);
  stream.push(Buffer.from('{"text":"Par'));
  setImmediate(() => stream.destroy());
  await assert.rejects(reading, (err: HttpError) => err.status === 400 && err.code === 'request.incomplete');
});
