// URL intake against a real HTTP server on 127.0.0.1 that misbehaves on purpose.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SharpIntake, type IntakeConfig } from '../../src/intake/sharp-intake.ts';
import { solid } from './fixtures.ts';

let server: Server;
let origin = '';
let png: Buffer;
const hanging = new Set<() => void>();

before(async () => {
  png = await solid(30, 20, [0, 128, 255]).png().toBuffer();
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/ok.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
      res.end(req.method === 'HEAD' ? undefined : png);
    } else if (url === '/declares-huge.png') {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      if (req.method === 'HEAD') res.end();
      else res.destroy();
    } else if (url === '/lying-head.png') {
      // HEAD claims 100 bytes; GET streams 3 MiB with no length at all.
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': '100' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png' });
      const block = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < 48 && res.write(block)) sent++;
        if (sent >= 48) res.end();
        else res.once('drain', pump);
      };
      res.write(png.subarray(0, 8));
      pump();
    } else if (url === '/redirect-away') {
      res.writeHead(302, { location: 'http://evil.example/x.png' });
      res.end();
    } else if (url === '/hang') {
      hanging.add(() => res.destroy());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const end of hanging) end();
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});

function intake(cfg: Partial<IntakeConfig> = {}): SharpIntake {
  return new SharpIntake({
    backend: 'sharp',
    maxBytes: 1024 * 1024,
    maxPixels: 40_000_000,
    maxSide: 1280,
    allowSvg: false,
    urlHosts: ['127.0.0.1'],
    fetchTimeoutMs: 1500,
    pathRoots: [],
    memoBytes: 0,
    ...cfg,
  });
}

async function codeFor(path: string, cfg: Partial<IntakeConfig> = {}): Promise<string> {
  const [r] = await intake(cfg).prepare([{ kind: 'url', url: origin + path }]);
  assert.ok(r, 'expected r');
  return r.ok ? 'ok' : r.warning.code;
}

test('an allowed host serves a good image', async () => {
  const [r] = await intake().prepare([{ kind: 'url', url: `${origin}/ok.png` }]);
  assert.ok(r?.ok, 'expected r?.ok');
  assert.deepEqual([r.image.width, r.image.height], [30, 20]);
});

test('hosts outside intake.urlHosts are refused without a request', async () => {
  assert.equal(await codeFor('/ok.png', { urlHosts: [] }), 'image.host_refused');
  assert.equal(await codeFor('/ok.png', { urlHosts: ['cdn.example.com'] }), 'image.host_refused');
  const [r] = await intake().prepare([{ kind: 'url', url: 'file:///etc/passwd' }]);
  assert.equal(r?.ok ? 'ok' : r?.warning.code, 'image.host_refused');
});

test('a redirect to a host outside the list is refused', async () => {
  assert.equal(await codeFor('/redirect-away'), 'image.host_refused');
});

test('a declared Content-Length over maxBytes is refused from HEAD', async () => {
  assert.equal(await codeFor('/declares-huge.png'), 'image.too_large');
});

test('a server lying in HEAD is cut off at maxBytes while streaming', async () => {
  const started = Date.now();
  assert.equal(await codeFor('/lying-head.png'), 'image.too_large');
  assert.ok(Date.now() - started < 1500, 'expected Date.now() - started < 1500');
});

test('a server that never answers hits fetchTimeoutMs; 404 is fetch_failed', async () => {
  const started = Date.now();
  assert.equal(await codeFor('/hang', { fetchTimeoutMs: 300 }), 'image.fetch_failed');
  assert.ok(Date.now() - started < 1500, 'did not hang');
  assert.equal(await codeFor('/missing.png'), 'image.fetch_failed');
});
