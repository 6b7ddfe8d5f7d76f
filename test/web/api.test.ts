// The web API against a real engine (real intake and OCR, gazetteer recognizer) on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createApp, type App } from '../../src/app/app.ts';
import { projectPath } from '../../src/config/load.ts';
import type { Recognition } from '../../src/core/types.ts';
import { startWebServer, sendJson, HttpError, type WebServer } from '../../adapters/web/index.ts';
import { Host, WorkQueue } from '../../src/host/index.ts';
import type { Message } from '../../src/core/types.ts';
import { drawTextImage, testConfig } from './fixtures.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const MAX_BODY = 1_000_000;
let app: App;
let web: WebServer;
let poster: Buffer;

before(async () => {
  const config = testConfig({ server: { maxBodyBytes: MAX_BODY } });
  app = await createApp(config);
  web = await startWebServer(app.host, config, {
    port: 0,
    logger: silentLogger(),
    backends: app.engine.backends,
    routes: [
      {
        method: 'GET',
        url: '/api/echo',
        handler: (request, reply) => {
          const community = new URL(request.url, 'http://x').searchParams.get('community');
          if (!community) throw new HttpError(400, 'request.missing_community', 'community is required');
          return sendJson(reply, 200, { community });
        },
      },
    ],
    // Fastify takes routes only before it listens: a late route comes as a plugin.
    plugins: [(fastify) => void fastify.get('/api/late', (_request, reply) => sendJson(reply, 200, { late: true }))],
  });
  poster = await drawTextImage(['Barack Obama visits Paris']);
});

after(async () => {
  await web?.close();
  await app?.close();
});

async function postJson(body: unknown): Promise<Response> {
  return fetch(`${web.url}/api/recognize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(typeof body.error.message, 'string');
  return body.error;
}

/** Every entity's offsets must point at its own text in the source it names. */
function assertAligned(r: Recognition): void {
  for (const e of r.entities) {
    const source = e.source === 'text' ? r.text : e.source === 'ocr' ? r.ocr[e.ocrLine!]!.text : r.captions[e.caption!]!.text;
    assert.equal(source.slice(e.start, e.end), e.text, `entity ${JSON.stringify(e)} is misaligned`);
  }
}

test('GET /healthz reports version and the loaded backends', async () => {
  const res = await fetch(`${web.url}/healthz`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { ok: boolean; version: string; backends: Record<string, unknown> };
  const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string };
  assert.equal(body.ok, true);
  assert.equal(body.version, pkg.version);
  assert.equal(body.backends.intake, 'sharp');
  assert.equal(body.backends.ocr, 'ppocr');
  assert.deepEqual(body.backends.recognizers, ['gazetteer']);
  assert.equal(body.backends.cache, 'memory');
});

test('POST JSON text returns the Recognition with aligned entities', async () => {
  const res = await postJson({ text: 'Yesterday Barack Obama landed in Paris.', language: 'en' });
  assert.equal(res.status, 200);
  const r = (await res.json()) as Recognition;
  assert.equal(r.text, 'Yesterday Barack Obama landed in Paris.');
  assert.equal(r.language, 'en');
  assert.deepEqual(
    r.entities.map((e) => [e.text, e.type, e.source, e.start]),
    [
      ['Barack Obama', 'PER', 'text', 10],
      ['Paris', 'LOC', 'text', 33],
    ],
  );
  assert.deepEqual(r.ocr, []);
  assert.deepEqual(r.warnings, []);
  assert.equal(typeof r.timings.total, 'number');
});

test('POST JSON with a base64 image: OCR lines carry the drawn text and its entities', async () => {
  const res = await postJson({ text: 'look at this', images: [{ data: poster.toString('base64'), name: 'poster.png' }] });
  assert.equal(res.status, 200);
  const r = (await res.json()) as Recognition;
  assert.ok(r.ocr.length >= 1, 'OCR found no line');
  const read = r.ocr.map((l) => l.text).join(' ');
  assert.match(read, /Barack Obama visits Paris/i);
  for (const line of r.ocr) {
    assert.equal(line.image, 0);
    assert.equal(line.box.length, 4);
    assert.ok(line.score > 0 && line.score <= 1, 'expected line.score > 0 && line.score <= 1');
  }
  const fromOcr = r.entities.filter((e) => e.source === 'ocr');
  assert.deepEqual(fromOcr.map((e) => [e.text, e.type]).sort(), [
    ['Barack Obama', 'PER'],
    ['Paris', 'LOC'],
  ]);
  assertAligned(r);
  assert.deepEqual(r.warnings, []);
});

test('POST multipart: text, language, a good image and a corrupt one (which becomes a warning)', async () => {
  const form = new FormData();
  form.append('text', 'Google is hiring in Paris');
  form.append('language', 'en');
  form.append('image', new Blob([new Uint8Array(poster)], { type: 'image/png' }), 'poster.png');
  form.append('image', new Blob([Buffer.from('this is not an image at all')], { type: 'image/png' }), 'broken.png');
  const res = await fetch(`${web.url}/api/recognize`, { method: 'POST', body: form });
  assert.equal(res.status, 200);
  const r = (await res.json()) as Recognition;
  assert.deepEqual(
    r.entities.filter((e) => e.source === 'text').map((e) => [e.text, e.type]),
    [
      ['Google', 'ORG'],
      ['Paris', 'LOC'],
    ],
  );
  assert.ok(
    r.ocr.every((l) => l.image === 0),
    'only the good image has OCR lines',
  );
  assert.match(r.ocr.map((l) => l.text).join(' '), /Obama/);
  assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
  const [warning] = r.warnings;
  assert.equal(warning!.image, 1);
  assert.equal(warning!.stage, 'intake');
  assert.match(warning!.code, /^image\./);
  assertAligned(r);
});

test('a body over server.maxBodyBytes gets 413 with a JSON error naming the limit', async () => {
  const big = JSON.stringify({ text: 'x', images: [{ data: Buffer.alloc(MAX_BODY).toString('base64') }] });
  const res = await postJson(big);
  assert.equal(res.status, 413);
  const err = await errorOf(res);
  assert.equal(err.code, 'body.too_large');
  assert.match(err.message, /server\.maxBodyBytes/);
  assert.match(err.message, new RegExp(String(MAX_BODY)));
});

test('a chunked body (no Content-Length) that grows past the cap also gets 413', async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent > MAX_BODY * 2) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(`${web.url}/api/recognize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  assert.equal(res.status, 413);
  assert.equal((await errorOf(res)).code, 'body.too_large');
});

test('bad requests get 400 with a message saying what is wrong', async () => {
  const cases: Array<[unknown, string, RegExp]> = [
    ['{"text": "unterminated', 'request.bad_json', /not valid JSON/],
    ['[1,2]', 'request.bad_json', /JSON object/],
    [{ language: 'en' }, 'request.missing_text', /"text" is required/],
    [{ text: 42 }, 'request.bad_text', /"text" must be a string/],
    [{ text: 'hi', language: 'fr' }, 'request.bad_language', /en, zh, auto/],
    [{ text: 'hi', images: [{ data: '***not base64***' }] }, 'request.bad_image', /images\[0\]\.data/],
    [{ text: 'hi', images: 'abc' }, 'request.bad_image', /"images" must be an array/],
    [{ text: 'hi', colour: 'red' }, 'request.unknown_field', /"colour"/],
  ];
  for (const [body, code, message] of cases) {
    const res = await postJson(body);
    assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${res.status}`);
    const err = await errorOf(res);
    assert.equal(err.code, code, JSON.stringify(body));
    assert.match(err.message, message);
  }
  const misnamed = new FormData();
  misnamed.append('text', 'hi');
  misnamed.append('file', new Blob([new Uint8Array(poster)], { type: 'image/png' }), 'poster.png');
  const misnamedRes = await fetch(`${web.url}/api/recognize`, { method: 'POST', body: misnamed });
  assert.equal(misnamedRes.status, 400, 'a file under an unknown field is refused, not ignored');
  const misnamedErr = await errorOf(misnamedRes);
  assert.equal(misnamedErr.code, 'request.unknown_field');
  assert.match(misnamedErr.message, /"file"/);
  const plain = await fetch(`${web.url}/api/recognize`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
  assert.equal(plain.status, 415);
  assert.match((await errorOf(plain)).message, /application\/json or multipart\/form-data/);
});

test('when every slot and queue place is taken, a request gets 503 with Retry-After', async () => {
  let entered!: () => void;
  let release!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const gate = new Promise<void>((r) => (release = r));
  // The real engine behind a gate, so the first request is certainly still running.
  const gated = {
    recognize: async (m: Message) => {
      entered();
      await gate;
      return app.engine.recognize(m);
    },
  };
  const config = testConfig();
  // Text-only requests have their own lane (limits.textLane): that is the one to fill here.
  const host = new Host({ config, executor: { kind: 'gated', recognize: gated.recognize }, textQueue: new WorkQueue(1, 0) });
  const busy = await startWebServer(host, config, { port: 0, logger: silentLogger() });
  try {
    const post = () =>
      fetch(`${busy.url}/api/recognize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"Paris"}' });
    const first = post();
    await inside;
    const second = await post();
    assert.equal(second.status, 503);
    assert.equal(second.headers.get('retry-after'), '5');
    assert.equal((await errorOf(second)).code, 'server.busy');
    release();
    const done = await first;
    assert.equal(done.status, 200);
    assert.deepEqual(
      ((await done.json()) as Recognition).entities.map((e) => e.text),
      ['Paris'],
    );
  } finally {
    release();
    await busy.close();
  }
});

test('unknown paths get 404, wrong methods 405 with Allow', async () => {
  const missing = await fetch(`${web.url}/api/nothing`);
  assert.equal(missing.status, 404);
  assert.equal((await errorOf(missing)).code, 'not_found');
  const wrong = await fetch(`${web.url}/api/recognize`);
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'POST');
  assert.match((await errorOf(wrong)).message, /GET is not allowed on \/api\/recognize/);
});

test('routes registered by other adapters are served, and can throw HttpError', async () => {
  const ok = await fetch(`${web.url}/api/echo?community=42`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { community: '42' });
  const bad = await fetch(`${web.url}/api/echo`);
  assert.equal(bad.status, 400);
  assert.equal((await errorOf(bad)).code, 'request.missing_community');
  assert.deepEqual(await (await fetch(`${web.url}/api/late`)).json(), { late: true });
});

test('GET / serves a self-contained page that loads nothing remote', async () => {
  const res = await fetch(`${web.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const html = await res.text();
  assert.match(html, /<form id="form"/);
  assert.doesNotMatch(html, /(src|href)="https?:/);
});
