// URL intake against a real HTTP server on 127.0.0.1 that misbehaves on purpose.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SharpIntake, type IntakeConfig } from '../../src/intake/sharp-intake.ts';
import { isPrivateAddress, urlAllowed, type Resolver } from '../../src/intake/fetch.ts';
import { solid } from './fixtures.ts';

let server: Server;
let origin = '';
let port = 0;
let requests = 0;
let png: Buffer;
const hanging = new Set<() => void>();

before(async () => {
  png = await solid(30, 20, [0, 128, 255]).png().toBuffer();
  server = createServer((req, res) => {
    requests++;
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
    } else if (url === '/drip') {
      // A valid PNG start, then one byte every 50 ms: never done, never silent long enough to time out a read.
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(png.subarray(0, 8));
      const timer = setInterval(() => res.write(Buffer.from([0])), 50);
      res.on('close', () => clearInterval(timer));
      hanging.add(() => res.destroy());
    } else if (url === '/hang') {
      hanging.add(() => res.destroy());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});

after(async () => {
  for (const end of hanging) end();
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});

/** Maps images.test to the loopback test server, as a public name would map to its address. */
const testDns: Resolver = async (hostname) => (hostname === 'images.test' ? [{ address: '127.0.0.1', family: 4 }] : []);

function intake(cfg: Partial<IntakeConfig> = {}): SharpIntake {
  return new SharpIntake(
    {
      backend: 'sharp',
      maxBytes: 1024 * 1024,
      maxPixels: 40_000_000,
      maxSide: 1280,
      allowSvg: false,
      urlHosts: [`127.0.0.1:${port}`],
      // The test server is on loopback; the tests that check the refusal turn this off.
      allowPrivateAddresses: true,
      fetchTimeoutMs: 1500,
      pathRoots: [],
      memoBytes: 0,
      ...cfg,
    },
    { resolve: testDns },
  );
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

test('the allow-list matches host and port: the same host on another port is refused', async () => {
  assert.equal(await codeFor('/ok.png', { urlHosts: ['127.0.0.1'] }), 'image.host_refused', 'a bare host means port 80 only');
  assert.equal(await codeFor('/ok.png', { urlHosts: [`127.0.0.1:${port + 1}`] }), 'image.host_refused');
  assert.ok(urlAllowed(new URL('https://cdn.example/x.png'), ['cdn.example']));
  assert.ok(!urlAllowed(new URL('https://cdn.example:8443/x.png'), ['cdn.example']));
  assert.ok(urlAllowed(new URL('http://[::1]:8080/x'), ['[::1]:8080']));
});

test('a name that resolves to a loopback address is refused before any request, unless allowed', async () => {
  const before = requests;
  const [refused] = await intake({ urlHosts: [`images.test:${port}`], allowPrivateAddresses: false }).prepare([
    { kind: 'url', url: `http://images.test:${port}/ok.png` },
  ]);
  assert.equal(refused?.ok ? 'ok' : refused?.warning.code, 'image.host_refused');
  assert.match(refused?.ok ? '' : refused!.warning.message, /resolves to 127\.0\.0\.1, a private, loopback or link-local address/);
  assert.equal(requests, before, 'no request reached the server');
  const [literal] = await intake({ allowPrivateAddresses: false }).prepare([{ kind: 'url', url: `${origin}/ok.png` }]);
  assert.equal(literal?.ok ? 'ok' : literal?.warning.code, 'image.host_refused');
  const [allowed] = await intake({ urlHosts: [`images.test:${port}`], allowPrivateAddresses: true }).prepare([
    { kind: 'url', url: `http://images.test:${port}/ok.png` },
  ]);
  assert.ok(allowed?.ok, 'fetched through the injected resolver once private addresses are allowed');
});

test('private, loopback, link-local and mapped addresses are recognised', () => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '100.64.0.1',
  ]) {
    assert.ok(isPrivateAddress(a), a);
  }
  for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8']) assert.ok(!isPrivateAddress(a), a);
});

test('a URL that drips bytes is cut by the message deadline', async () => {
  const started = Date.now();
  const [r] = await intake({ fetchTimeoutMs: 10_000 }).prepare([{ kind: 'url', url: `${origin}/drip` }], { deadline: Date.now() + 400 });
  const took = Date.now() - started;
  assert.equal(r?.ok ? 'ok' : r?.warning.code, 'image.fetch_failed');
  assert.match(r?.ok ? '' : r!.warning.message, /before the message deadline/);
  assert.ok(took < 1500, `cut after ${took} ms`);
});

test('a caller that goes away cancels the download at once', async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  const [r] = await intake({ fetchTimeoutMs: 10_000 }).prepare([{ kind: 'url', url: `${origin}/drip` }], { signal: controller.signal });
  assert.equal(r?.ok ? 'ok' : r?.warning.code, 'image.fetch_failed');
  assert.match(r?.ok ? '' : r!.warning.message, /cancelled/);
  assert.ok(Date.now() - started < 1000);
});
