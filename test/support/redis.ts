// A real redis-server for tests, on a free loopback port, with no persistence. When the binary is
// missing the test is skipped locally but FAILS under CI (CI set), where it must be installed
// (scripts/install-system-deps.sh installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import type { TestContext } from 'node:test';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL when `hard`, as a crash); `start()` brings it back on the same port. */
  stop(hard?: boolean): Promise<void>;
  start(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/** Resolves once the port answers PING with PONG. */
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
      socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
      socket.on('data', (d) => (socket.destroy(), resolve(String(d).startsWith('+PONG'))));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on 127.0.0.1:${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts redis-server on a free loopback port (benchmarks; tests use startRedis). Throws when it is not installed. */
export async function launchRedis(): Promise<RedisServer> {
  if (!redisServerInstalled()) throw new Error('redis-server is not installed (scripts/install-system-deps.sh installs it)');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await waitForPong(port, 10_000);
    },
    async stop(hard = false) {
      const c = child;
      if (!c) return;
      child = undefined;
      if (c.exitCode !== null) return;
      const exited = once(c, 'exit');
      c.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
  await server.start();
  return server;
}

/**
 * Starts redis-server for the test `t`, stopped when the test ends (or, with `stopAfterTest: false`,
 * when the caller stops it: a server shared by the tests of one file). Returns undefined after
 * skipping the test when redis-server is not installed and CI is not set.
 */
export async function startRedis(t: TestContext, options: { stopAfterTest?: boolean } = {}): Promise<RedisServer | undefined> {
  if (!redisServerInstalled()) {
    if (process.env.CI) throw new Error('redis-server is not installed but CI is set: run scripts/install-system-deps.sh');
    t.skip('redis-server not installed (scripts/install-system-deps.sh installs it)');
    return undefined;
  }
  const server = await launchRedis();
  if (options.stopAfterTest !== false) t.after(() => server.stop(true));
  return server;
}
