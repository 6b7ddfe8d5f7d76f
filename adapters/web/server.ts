// The local web adapter: a node:http server with the recognition API, a health check and a
// single self-contained page. Other adapters reuse it and add routes of their own.
//
// Adding routes (e.g. GET /api/stats from the statistics helper):
//   const web = await startWebServer(engine, config, {
//     routes: [{ method: 'GET', path: '/api/stats', handler: async ({ res, url }) => sendJson(res, 200, ...) }],
//   });
// or later, on the running server: web.route('GET', '/api/stats', handler).
// Paths match exactly (the query string is parsed into `url`). A handler may throw HttpError to
// reply with that status and a JSON `{error: {code, message}}`; any other error becomes a 500.
// A route registered later for the same method and path replaces the earlier one.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Message, Recognition } from '../../src/core/types.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';
import { projectPath } from '../../src/config/load.ts';
import { HttpError, readBody, sendError, sendJson } from './http.ts';
import { messageFromJson, messageFromMultipart } from './message.ts';
import { renderPage } from './page.ts';
import { QueueFullError, WorkQueue } from '../shared/work-queue.ts';

/** What the web adapter needs of the engine (src/core/engine.ts's Engine satisfies it). */
export interface RecognitionService {
  recognize(message: Message): Promise<Recognition>;
  /** Names of the backends in use (Engine.backends), reported by /healthz. */
  readonly backends?: Record<string, string | string[]>;
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  config: EkmmConfig;
  /** Reads the request body within server.maxBodyBytes (413 beyond). */
  body(): Promise<Buffer>;
}

export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

export interface WebRoute {
  method: string;
  path: string;
  handler: RouteHandler;
}

export interface WebServerOptions {
  routes?: WebRoute[];
  /** Override config.server.port / host (e.g. 0 for an ephemeral port in tests). */
  port?: number;
  host?: string;
  /** Bounds concurrent recognitions (default: a queue sized by config.guards); pass one to share it with other adapters. */
  queue?: WorkQueue;
  /** Where operational messages go; defaults to stderr so stdout stays clean for the CLI. */
  log?: (line: string) => void;
}

export interface WebServer {
  /** Base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  route(method: string, path: string, handler: RouteHandler): void;
  close(): Promise<void>;
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Backends the engine loaded (or, for a service that does not say, those configured). */
function loadedBackends(engine: RecognitionService, config: EkmmConfig): Record<string, string | string[]> {
  const base = engine.backends ?? {
    intake: config.intake.backend,
    ocr: config.ocr.backend,
    captioner: config.captioner.backend,
    knowledge: config.knowledge.backend,
    recognizers: config.recognizer.backends,
  };
  return { ...base, cache: config.cache.enabled ? new URL(config.cache.url).protocol.replace(/:$/, '') : 'off' };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startWebServer(engine: RecognitionService, config: EkmmConfig, opts: WebServerOptions = {}): Promise<WebServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const routes = new Map<string, Map<string, RouteHandler>>();
  const route = (method: string, path: string, handler: RouteHandler): void => {
    const byMethod = routes.get(path) ?? new Map<string, RouteHandler>();
    byMethod.set(method.toUpperCase(), handler);
    routes.set(path, byMethod);
  };

  const queue = opts.queue ?? new WorkQueue(config.guards.concurrency, config.guards.queueSize);
  const version = readVersion();
  const startedAt = Date.now();
  const page = renderPage({ entityTypes: config.entityTypes, maxSide: config.intake.maxSide, version });

  route('GET', '/', ({ res }) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(page),
      // Everything the page needs is inline; this also keeps it from loading anything remote.
      'content-security-policy':
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob: data:; connect-src 'self'; form-action 'self'",
      'cache-control': 'no-store',
    });
    res.end(page);
  });

  route('GET', '/healthz', ({ res }) => {
    sendJson(res, 200, {
      ok: true,
      version,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      backends: loadedBackends(engine, config),
    });
  });

  route('POST', '/api/recognize', async ({ req, res, body }) => {
    const contentType = req.headers['content-type'] ?? '';
    let message: Message;
    if (/^application\/json\b/i.test(contentType)) {
      message = messageFromJson(await body());
    } else if (/^multipart\/form-data\b/i.test(contentType)) {
      message = await messageFromMultipart(await body(), contentType);
    } else {
      throw new HttpError(
        415,
        'request.unsupported_type',
        `Content-Type must be application/json or multipart/form-data; got ${contentType || '(none)'}`,
      );
    }
    let recognition: Recognition;
    try {
      recognition = await queue.run(() => engine.recognize(message));
    } catch (err) {
      if (err instanceof QueueFullError) throw new HttpError(503, 'server.busy', `server is busy: ${err.message}; retry shortly`, { 'retry-after': '5' });
      throw err;
    }
    sendJson(res, 200, recognition);
  });

  for (const r of opts.routes ?? []) route(r.method, r.path, r.handler);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const byMethod = routes.get(url.pathname);
    if (!byMethod) throw new HttpError(404, 'not_found', `no route for ${url.pathname}; try GET /, GET /healthz or POST /api/recognize`);
    const method = req.method === 'HEAD' && !byMethod.has('HEAD') ? 'GET' : (req.method ?? 'GET');
    const handler = byMethod.get(method);
    if (!handler) {
      const allow = [...byMethod.keys()].join(', ');
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}; use ${allow}`, { allow });
    }
    await handler({ req, res, url, config, body: () => readBody(req, config.server.maxBodyBytes) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const httpErr =
        err instanceof HttpError
          ? err
          : new HttpError(500, 'internal', `recognition failed: ${err instanceof Error ? err.message : String(err)}`);
      // A deliberate refusal (stats off, queue full) is logged as one line; only unexpected errors carry a stack.
      if (httpErr.status >= 500) {
        const detail = err instanceof HttpError ? `${err.code}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`web: ${req.method} ${req.url} failed: ${detail}`);
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, httpErr);
    });
  });

  const host = opts.host ?? config.server.host;
  const port = opts.port ?? config.server.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`web server could not listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`);
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(host)}:${bound}`;
  log(`web: listening on ${url}`);

  return {
    url,
    port: bound,
    route,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive sockets would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}
