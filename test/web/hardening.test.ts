// The web API's admission before work (issue 8), on loopback with a fake executor so only the
// adapter and host logic are under test: Host and Origin checks, sizes from Content-Length,
// per-client limits, lanes, the upload budget, cancellation, and refusals counted, not logged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { startWebServer, type WebServer } from '../../adapters/web/index.ts';
import { Host, WorkQueue, type RecognitionExecutor } from '../../src/host/index.ts';
import type { Message, Recognition } from '../../src/core/types.ts';
import { testConfig } from './fixtures.ts';
import { waitFor } from '../support/http-util.ts';
import { createLogger } from '../../src/observability/logger.ts';

const recognitionOf = (m: Message): Recognition => ({
  text: m.text,
  language: 'en',
  entities: [],
  ocr: [],
  captions: [],
  timings: {},
  warnings: [],
  droppedEntities: 0,
});

interface Started {
  web: WebServer;
  logs: string[];
  calls: { message: Message; signal?: AbortSignal }[];
  release: () => void;
}

const servers: WebServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** A server whose executor records each call; with `gated`, calls wait until release(). */
async function start(overrides: Record<string, unknown> = {}, gated = false, textQueue?: WorkQueue): Promise<Started> {
  const config = testConfig(overrides);
  const calls: Started['calls'] = [];
  let open!: () => void;
  let gate = new Promise<void>((r) => (open = r));
  const executor: RecognitionExecutor = {
    kind: 'test',
    async recognize(message, options) {
      calls.push({ message, ...(options?.signal ? { signal: options.signal } : {}) });
      if (gated) {
        await new Promise<void>((resolve, reject) => {
          gate.then(resolve);
          options?.signal?.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
        });
      }
      return recognitionOf(message);
    },
  };
  // Every log line of the host and the web adapter, as the JSON pino writes.
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(line) } });
  const host = new Host({ config, executor, logger, ...(textQueue ? { textQueue } : {}) });
  const web = await startWebServer(host, config, { port: 0 });
  servers.push(web);
  return {
    web,
    logs,
    calls,
    release: () => {
      open();
      gate = new Promise<void>((r) => (open = r));
    },
  };
}

interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (Host, Origin, a lying Content-Length) from a chosen local address. */
function raw(
  url: string,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    localAddress?: string;
    endBody?: boolean;
    /** Gets the request, e.g. to destroy an upload left hanging. */
    onRequest?: (req: ClientRequest) => void;
  } = {},
): Promise<RawReply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/api/recognize',
        headers: {
          'content-type': 'application/json',
          // A whole body goes with its length, as clients send it (a chunked one is budgeted at the maximum).
          ...(options.body !== undefined && options.endBody !== false ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    options.onRequest?.(req);
    if (options.body !== undefined) req.write(options.body);
    if (options.endBody !== false) req.end();
    // Without a write, node holds the headers back: send them, the body never comes.
    else req.flushHeaders();
  });
}

const codeOf = (r: RawReply) => (JSON.parse(r.body) as { error: { code: string } }).error.code;
const text = (t: string) => JSON.stringify({ text: t });

test('a foreign Host header is refused (DNS rebinding); loopback names are served', async () => {
  const { web, calls } = await start();
  const evil = await raw(web.url, { headers: { host: 'evil.example:8787' }, body: text('Paris') });
  assert.equal(evil.status, 403);
  assert.equal(codeOf(evil), 'request.host_refused');
  const ok = await raw(web.url, { headers: { host: `localhost:${web.port}` }, body: text('Paris') });
  assert.equal(ok.status, 200);
  assert.equal(calls.length, 1);
});

test('a cross-origin POST (multipart or JSON) is refused before its body is read; same-origin and allowed origins pass', async () => {
  const { web, calls } = await start({ limits: { web: { allowedOrigins: ['https://app.example'] } } });
  const boundary = 'x-boundary';
  const form = `--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nParis\r\n--${boundary}--\r\n`;
  const cross = await raw(web.url, {
    headers: { origin: 'https://evil.example', 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: form,
  });
  assert.equal(cross.status, 403);
  assert.equal(codeOf(cross), 'request.origin_refused');
  const sameOrigin = await raw(web.url, { headers: { origin: web.url }, body: text('Paris') });
  assert.equal(sameOrigin.status, 200);
  const allowed = await raw(web.url, { headers: { origin: 'https://app.example' }, body: text('Paris') });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
  const preflight = await raw(web.url, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.status, 204);
  const foreignPreflight = await raw(web.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
  assert.equal(foreignPreflight.status, 403);
  assert.equal(calls.length, 2, 'only the same-origin and the allowed-origin requests reached the executor');
});

test('a body over server.maxBodyBytes is refused from Content-Length, before any of it is sent', async () => {
  const { web, calls } = await start({ server: { maxBodyBytes: 10_000 } });
  const t = Date.now();
  // Headers only: the client never sends the 50 MB it announces.
  const refused = await raw(web.url, { headers: { 'content-length': String(50 * 1024 * 1024) }, endBody: false });
  assert.equal(refused.status, 413);
  assert.equal(codeOf(refused), 'body.too_large');
  assert.ok(Date.now() - t < 1000);
  assert.equal(calls.length, 0);
});

test('requests per client address are limited; another address is not affected', async () => {
  const { web } = await start({ limits: { web: { requestsPerClientPerMinute: 3 } } });
  const from = (localAddress: string) => raw(web.url, { body: text('Paris'), localAddress });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await from('127.0.0.1')).status);
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  const limited = await from('127.0.0.1');
  assert.equal(codeOf(limited), 'rate.client');
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal((await from('127.0.0.2')).status, 200, 'another client address has its own budget');
});

test('connections per client address are capped: the one past the cap is closed at once', async () => {
  const { web } = await start({ limits: { web: { connectionsPerClient: 2 } } });
  const sockets = [0, 1].map(() => connect(web.port, '127.0.0.1').on('error', () => {}));
  await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
  const third = connect(web.port, '127.0.0.1');
  const closed = await new Promise<boolean>((resolve) => {
    third.once('error', () => resolve(true));
    third.once('close', () => resolve(true));
    third.once('data', () => resolve(false));
    third.once('connect', () => third.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    setTimeout(() => resolve(false), 2000);
  });
  assert.ok(closed, 'the third connection was closed without an answer');
  for (const s of sockets) s.destroy();
  await waitFor(() => (web.guard.refusals.counts()['connections.per_client'] ? true : undefined), 'the refusal to be counted');
  // Once the server has seen the others close, the client may connect again.
  let fresh: RawReply | undefined;
  for (let i = 0; i < 40 && !fresh; i++) {
    fresh = await raw(web.url, { method: 'GET', path: '/healthz' }).catch(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return undefined;
    });
  }
  assert.equal(fresh?.status, 200);
});

test('text past limits.textChars.api and images past limits.imagesPerMessage get a clear 413', async () => {
  const { web, calls } = await start({ limits: { textChars: { api: 20 }, imagesPerMessage: 1 } });
  const long = await raw(web.url, { body: text('x'.repeat(21)) });
  assert.equal(long.status, 413);
  assert.equal(codeOf(long), 'request.text_too_long');
  assert.match(JSON.parse(long.body).error.message, /21 characters; at most 20 .*limits\.textChars\.api/);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64');
  const many = await raw(web.url, { body: JSON.stringify({ text: 'hi', images: [{ data: png }, { data: png }] }) });
  assert.equal(many.status, 413);
  assert.equal(codeOf(many), 'request.too_many_images');
  assert.equal(calls.length, 0);
});

test('a zero-byte image is the same 400 over JSON and multipart', async () => {
  const { web } = await start();
  const json = await raw(web.url, { body: JSON.stringify({ text: 'hi', images: [{ data: '' }] }) });
  const boundary = 'b0';
  const form = `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="empty.png"\r\nContent-Type: image/png\r\n\r\n\r\n--${boundary}--\r\n`;
  const multipart = await raw(web.url, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: form });
  assert.deepEqual([json.status, codeOf(json)], [400, 'request.empty_image']);
  assert.deepEqual([multipart.status, codeOf(multipart)], [400, 'request.empty_image']);
});

test('a full lane refuses before the body is read; the body budget refuses uploads past it', async () => {
  const s = await start({ limits: { web: { bodyBytesInFlight: 1000 } } }, true, new WorkQueue(1, 0));
  const first = raw(s.web.url, { body: text('Paris') });
  await waitFor(() => (s.calls.length ? true : undefined), 'the first request to run');
  const busy = await raw(s.web.url, { headers: { 'content-length': '400' }, endBody: false });
  assert.deepEqual([busy.status, codeOf(busy)], [503, 'server.busy']);
  assert.match(JSON.parse(busy.body).error.message, /text queue is full/);
  s.release();
  assert.equal((await first).status, 200);
  // A slow upload holds its announced bytes; a second one past the budget is refused at once.
  let upload: ClientRequest | undefined;
  const slow = raw(s.web.url, {
    headers: { 'content-length': '900', 'content-type': 'application/json' },
    body: '{"text":',
    endBody: false,
    onRequest: (req) => (upload = req),
  });
  await waitFor(() => (s.web.guard.bodyBytesInFlight === 900 ? true : undefined), 'the slow upload to be admitted');
  const second = await raw(s.web.url, { headers: { 'content-length': '900' }, endBody: false });
  assert.deepEqual([second.status, codeOf(second)], [503, 'server.busy']);
  assert.match(JSON.parse(second.body).error.message, /limits\.web\.bodyBytesInFlight/);
  slow.catch(() => {});
  upload?.destroy();
  await waitFor(() => (s.web.guard.bodyBytesInFlight === 0 ? true : undefined), 'the budget to be given back when the upload is gone');
});

test('one client address may have limits.web.inFlightPerClient requests in progress; another is not affected', async () => {
  const s = await start({ limits: { web: { inFlightPerClient: 2 } } }, true);
  const first = [raw(s.web.url, { body: text('a') }), raw(s.web.url, { body: text('b') })];
  await waitFor(() => (s.calls.length === 2 ? true : undefined), 'two requests to run');
  const third = await raw(s.web.url, { body: text('c') });
  assert.deepEqual([third.status, codeOf(third)], [429, 'rate.client_in_flight'], third.body);
  // Another address is admitted (it waits in the lane, both slots being taken) and answered.
  const other = raw(s.web.url, { body: text('d'), localAddress: '127.0.0.2' });
  await waitFor(
    () => (s.web.guard.bodyBytesInFlight === 3 * Buffer.byteLength(text('a')) ? true : undefined),
    'the other address to be admitted',
  );
  s.release();
  await Promise.all(first);
  s.release();
  assert.equal((await other).status, 200);
});

test('a client that hangs up cancels its recognition (the executor sees the abort)', async () => {
  const s = await start({}, true);
  const controller = new AbortController();
  const pending = fetch(`${s.web.url}/api/recognize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text('Paris'),
    signal: controller.signal,
  });
  await waitFor(() => (s.calls.length ? true : undefined), 'the request to run');
  controller.abort();
  await assert.rejects(pending);
  await waitFor(() => (s.calls[0]!.signal?.aborted ? true : undefined), 'the executor to see the abort');
  assert.ok(!s.logs.some((l) => /"level":50/.test(l)), `no error logged for a client that left: ${s.logs.join('\n')}`);
});

test('request target "//" is a 404, not a 500, and nothing is logged with a stack', async () => {
  const { web, logs } = await start();
  for (const path of ['//', '//api/recognize', '/%']) {
    const r = await raw(web.url, { method: 'GET', path });
    assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status}`);
  }
  assert.ok(!logs.some((l) => /"stack"|\\n\s+at /.test(l)), logs.join('\n'));
});

test('refusals are counted and summarised in one log line per interval, not one per request', async () => {
  const { web, logs } = await start({ limits: { web: { requestsPerClientPerMinute: 1, refusalLogIntervalMs: 60_000 } } });
  await raw(web.url, { body: text('Paris') });
  for (let i = 0; i < 30; i++) await raw(web.url, { body: text('Paris') });
  assert.equal(web.guard.refusals.counts()['rate.client'], 30);
  const lines = logs.filter((l) => /refused/.test(l));
  assert.equal(lines.length, 1, `one summary line so far: ${JSON.stringify(lines)}`);
  assert.equal(logs.filter((l) => /request completed/.test(l)).length, 1, 'the one answered request is logged; the 30 refused are not');
  assert.match(lines[0]!, /web: refused 1 request \(rate\.client 1\)/);
  const metric = await web.guard.refusals.counter.get();
  assert.equal(metric.values.find((v) => v.labels.reason === 'rate.client')?.value, 30);
});

test('a JSON text past limits.textChars.api is refused with 413 while its body streams in: the upload never completes', async () => {
  const s = await start({ limits: { textChars: { api: 1000 } } });
  // 1 MB announced, 64 KB sent, the rest never: the answer comes anyway, naming the limit.
  const head = `{"text":"${'Paris '.repeat((64 * 1024) / 6)}`;
  const long = await raw(s.web.url, { headers: { 'content-length': String(1024 * 1024) }, body: head, endBody: false });
  assert.deepEqual([long.status, codeOf(long)], [413, 'request.text_too_long'], long.body);
  assert.match(JSON.parse(long.body).error.message, /at most 1000 are accepted \(limits\.textChars\.api\)/);
  assert.equal(long.headers.connection, 'close');
  // Chunked (no Content-Length): the same streaming cap.
  const chunked = await raw(s.web.url, { headers: { 'transfer-encoding': 'chunked' }, body: head, endBody: false });
  assert.deepEqual([chunked.status, codeOf(chunked)], [413, 'request.text_too_long'], chunked.body);
  // Bytes under another key count too: a text-only body can need only so much besides image data.
  const other = await raw(s.web.url, {
    headers: { 'content-length': String(1024 * 1024) },
    body: `{"text":"Paris","padding":"${'x'.repeat(80 * 1024)}`,
    endBody: false,
  });
  assert.deepEqual([other.status, codeOf(other)], [413, 'body.too_large'], other.body);
  assert.match(JSON.parse(other.body).error.message, /bytes besides image data/);
  assert.equal(s.calls.length, 0);
  // Image data does not count: a 300 KB image with a short text is read whole and recognized.
  const image = Buffer.alloc(300 * 1024, 7);
  const ok = await raw(s.web.url, { body: JSON.stringify({ text: 'Paris', images: [{ data: image.toString('base64') }] }) });
  assert.equal(ok.status, 200, ok.body);
  const bytes = s.calls[0]!.message.images?.[0];
  assert.ok(bytes?.kind === 'bytes' && Buffer.from(bytes.bytes).equals(image));
});

test("fair queueing: a client with many requests queued delays another client's first request by at most one slot", async () => {
  const lane = new WorkQueue(1, 100);
  const s = await start({ limits: { web: { inFlightPerClient: 20 } } }, true, lane);
  const busy: Promise<RawReply>[] = [];
  // One after another, so that their order in the lane is known: the first runs, seven wait.
  for (let i = 0; i < 8; i++) {
    busy.push(raw(s.web.url, { body: text(`busy ${i}`), localAddress: '127.0.0.2' }));
    await waitFor(() => (s.calls.length + lane.stats().waiting === i + 1 ? true : undefined), `busy ${i} to be queued`);
  }
  const quiet = raw(s.web.url, { body: text('quiet'), localAddress: '127.0.0.3' });
  await waitFor(() => (lane.stats().waiting === 8 ? true : undefined), 'the quiet request to wait');
  for (let i = 0; i < 9; i++) {
    const n = s.calls.length;
    s.release();
    if (i < 8) await waitFor(() => (s.calls.length > n ? true : undefined), 'the next request to start');
  }
  await Promise.all([...busy, quiet]);
  const order = s.calls.map((c) => c.message.text);
  // The busy client's first one was running; the quiet one goes next (at most one more of the busy client's before it).
  assert.ok(order.indexOf('quiet') <= 2, order.join(', '));
  // The busy client's own requests keep their order.
  const own = order.filter((t) => t.startsWith('busy'));
  assert.deepEqual(
    own,
    [...own].sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1])),
  );
});
