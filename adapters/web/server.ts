// The local web adapter on fastify: the recognition API, health, statistics and a single
// self-contained page. Every recognition goes through the shared host (its queue, guards,
// statistics and executor), like a chat message.
//
// Adding routes and hooks (dashboard, admission, origin checks...): pass `plugins`, each an
// ordinary fastify plugin function `(app, ctx) => { app.get('/dashboard', ...); app.addHook(...) }`,
// or `routes: [{ method: 'GET', url: '/api/x', handler }]`. Both are registered before the server
// listens (fastify allows no new routes after that). A handler may throw HttpError to reply with
// that status and `{error: {code, message}}`; any other error becomes a 500. A wrong method on a
// known path is a 405 with Allow, an unknown path a 404, whoever registered the route.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteOptions,
} from 'fastify';
import type { Message, Recognition } from '../../src/core/types.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';
import { projectPath } from '../../src/config/load.ts';
import { QueueFullError, RecognitionUnavailableError, type CountAs, type Host } from '../../src/host/index.ts';
import { registerSecret, type Logger } from '../../src/observability/logger.ts';
import { publicReport } from '../../src/observability/readiness.ts';
import { errorBody, hasBearer, HttpError, requireBearer, sendJson } from './http.ts';
import { messageFromJson, messageFromMultipart } from './message.ts';
import { renderPage } from './page.ts';
import { WebGuard } from './guard.ts';
import { JsonMessage, readBody, readJsonMessage } from './json-body.ts';
import { RecognitionCancelled } from '../../src/core/deadline.ts';
import { statsHandler } from './stats-route.ts';
import { registerDashboard } from './dashboard/routes.ts';
import { registerWatchlist } from './dashboard/watchlist-routes.ts';

/** The env var holding the API token; when set, POST /api/recognize needs it as a Bearer token. */
export const API_TOKEN_ENV = 'EKMM_API_TOKEN';
const RECOGNIZE_PATH = '/api/recognize';
/** The env var holding the metrics token; when set, GET /metrics needs it, and /readyz shows details with it. */
export const METRICS_TOKEN_ENV = 'EKMM_METRICS_TOKEN';

/** What plugins get besides the fastify instance. */
export interface WebContext {
  host: Host;
  config: EkmmConfig;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export type WebPlugin = (app: FastifyInstance, ctx: WebContext) => void | Promise<void>;

export interface WebRoute {
  method: string | string[];
  url: string;
  handler: (request: FastifyRequest, reply: FastifyReply) => unknown;
}

export interface WebServerOptions {
  routes?: WebRoute[];
  plugins?: WebPlugin[];
  /** Names of the backends in use (Engine.backends), reported by /healthz; the configured ones otherwise. */
  backends?: Record<string, string | string[]>;
  /** Override config.server.port / host (e.g. 0 for an ephemeral port in tests). */
  port?: number;
  host?: string;
  /** Where tokens are read (EKMM_API_TOKEN, the moderator token); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to the host's logger; every request's lines carry its reqId. */
  logger?: Logger;
}

export interface WebServer {
  /** Base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  app: FastifyInstance;
  /** Admission before work (limits.web): its refusal counts, bodies in flight. */
  guard: WebGuard;
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

function configuredBackends(config: EkmmConfig): Record<string, string | string[]> {
  return {
    intake: config.intake.backend,
    ocr: config.ocr.backend,
    captioner: config.captioner.backend,
    knowledge: config.knowledge.backend,
    recognizers: config.recognizer.backends,
  };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Maps fastify's own errors (body limit, bad length) and anything unexpected onto HttpError. */
function toHttpError(err: unknown, config: EkmmConfig): HttpError {
  if (err instanceof HttpError) return err;
  const fe = err as Partial<FastifyError>;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const max = config.server.maxBodyBytes;
    return new HttpError(
      413,
      'body.too_large',
      `request body exceeds the limit of ${max} bytes (server.maxBodyBytes); send fewer or smaller images`,
      {
        connection: 'close',
      },
    );
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpError(fe.statusCode, 'request.invalid', fe.message ?? 'bad request');
  }
  return new HttpError(500, 'internal', `recognition failed: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Fastify's request logging, without the refusals (4xx and 503): those are counted and summarised
 * by the guard, since a flood of them was a flood of log lines (issue 8).
 */
class QuietRefusals extends LogController {
  override requestCompleted(...args: Parameters<LogController['requestCompleted']>): void {
    const status = args[2].statusCode;
    if ((status >= 400 && status < 500) || status === 503) return;
    super.requestCompleted(...args);
  }

  override incomingRequest(): void {
    // One line per request, at completion, is enough (and a refused one gets none).
  }
}

export async function startWebServer(host: Host, config: EkmmConfig, opts: WebServerOptions = {}): Promise<WebServer> {
  const logger = (opts.logger ?? host.logger).child({ adapter: 'web' });
  const env = opts.env ?? process.env;
  // Bearer secrets this server checks are censored in every log line, should one ever be quoted.
  for (const name of [API_TOKEN_ENV, METRICS_TOKEN_ENV, config.server.moderatorTokenEnv]) registerSecret(env[name]);
  const version = readVersion();
  const startedAt = Date.now();
  const page = renderPage({
    entityTypes: config.entityTypes,
    maxSide: config.intake.maxSide,
    version,
    apiTokenRequired: Boolean(env[API_TOKEN_ENV]),
  });
  const backends = {
    ...(opts.backends ?? configuredBackends(config)),
    cache: config.cache.enabled ? new URL(config.cache.url).protocol.replace(/:$/, '') : 'off',
  };

  // Fastify logs each request it answers (method, path, status, time; never headers or bodies)
  // with its reqId, except refusals: those are counted and summarised (guard.refusals), since a
  // flood of them would otherwise be a flood of log lines.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new QuietRefusals(),
    bodyLimit: config.server.maxBodyBytes,
    forceCloseConnections: 'idle',
  });
  // Admission before any body byte is read: Host/Origin, size, per-client limits, lane room.
  const guard = new WebGuard({ config, host, log: (line) => logger.warn(line), registry: host.metrics.registry });
  guard.install(app);
  app.addHook('onClose', async () => guard.close());

  // Methods per path, whoever registers the route, so a wrong method gets 405 with Allow.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) if (m !== 'HEAD') methods.add(m);
    methodsByPath.set(route.url, methods);
  });

  // The body arrives as bytes, whatever its type: the routes parse it themselves, so a bad body
  // gets the API's own 400 naming the field (message.ts), not the framework's wording.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // A recognition request's JSON is read by a scanner as it arrives: past the text limit it is
  // refused after a few KB, and image data skips JSON.parse (json-body.ts, issue 8).
  const jsonLimits = { maxBodyBytes: config.server.maxBodyBytes, maxTextChars: config.limits.textChars.api };
  app.addContentTypeParser('application/json', (request, payload, done) => {
    const declared = Number(request.headers['content-length']);
    const length = Number.isFinite(declared) ? declared : undefined;
    const read =
      (request.url.split('?')[0] ?? '') === RECOGNIZE_PATH
        ? readJsonMessage(payload, length, jsonLimits).then((message) => new JsonMessage(message))
        : readBody(payload, length, jsonLimits.maxBodyBytes);
    read.then(
      (body) => done(null, body),
      (err: Error) => done(err),
    );
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((err, request, reply) => {
    const httpErr = toHttpError(err, config);
    // A deliberate refusal (a 4xx, a full queue) is counted and summarised once per interval; only
    // an unexpected error is logged on its own, and only it carries a stack.
    if (err instanceof HttpError || httpErr.status < 500) guard.refusals.note(httpErr.code);
    else request.log.error({ err }, `${request.method} ${request.url.split('?')[0]} failed`);
    if (reply.raw.destroyed) return reply;
    return sendJson(reply, httpErr.status, errorBody(httpErr), httpErr.headers);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const methods = methodsByPath.get(path);
    if (methods?.size) {
      const allow = [...methods].join(', ');
      throw new HttpError(405, 'method_not_allowed', `${request.method} is not allowed on ${path}; use ${allow}`, { allow });
    }
    void reply;
    throw new HttpError(404, 'not_found', `no route for ${path}; try GET /, GET /healthz or POST /api/recognize`);
  });

  app.get('/', (_request, reply) =>
    reply
      .code(200)
      .type('text/html; charset=utf-8')
      // Everything the page needs is inline; this also keeps it from loading anything remote.
      .header(
        'content-security-policy',
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob: data:; connect-src 'self'; form-action 'self'",
      )
      .send(page),
  );

  app.get('/healthz', (_request, reply) =>
    sendJson(reply, 200, { ok: true, version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), backends }),
  );

  // 200 only when every readiness check passes (models, stores, each enabled adapter connected).
  // Open for probes, so it says only which check failed and a reason code; the checks' own words
  // (hosts, URLs, errors) only to a caller with the metrics token.
  app.get('/readyz', async (request, reply) => {
    const report = await host.readiness.evaluate();
    const token = env[METRICS_TOKEN_ENV];
    const detailed = token !== undefined && token !== '' && hasBearer(request, token);
    return sendJson(reply, report.ready ? 200 : 503, detailed ? report : publicReport(report));
  });

  app.get('/metrics', async (request, reply) => {
    const token = env[METRICS_TOKEN_ENV];
    if (token) requireBearer(request, token, `metrics token (${METRICS_TOKEN_ENV})`);
    const registry = host.metrics.registry;
    return reply
      .code(200)
      .type(registry.contentType)
      .send(await registry.metrics());
  });

  const countWeb = (outcome: 'recognized' | 'refused' | 'dismissed' | 'failed' | 'cancelled') =>
    host.metrics.recognitions.inc({ platform: 'web', outcome });

  // The token is checked before the body is read: the JSON reader decodes images as they arrive.
  const checkToken = async (request: FastifyRequest) => {
    const token = env[API_TOKEN_ENV];
    if (token) requireBearer(request, token, `API token (${API_TOKEN_ENV})`);
  };
  app.post(RECOGNIZE_PATH, { onRequest: checkToken }, async (request, reply) => {
    const contentType = request.headers['content-type'] ?? '';
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let message: Message;
    if (request.body instanceof JsonMessage) {
      message = request.body.message;
      // The route holds the decoded message only; the body bytes it came from can go now.
      request.body = undefined;
    } else if (/^application\/json\b/i.test(contentType)) {
      message = messageFromJson(body);
    } else if (/^multipart\/form-data\b/i.test(contentType)) {
      message = await messageFromMultipart(body, contentType);
    } else {
      throw new HttpError(
        415,
        'request.unsupported_type',
        `Content-Type must be application/json or multipart/form-data; got ${contentType || '(none)'}`,
      );
    }
    checkApiLimits(message, config);
    // A request that says who sent it is limited like a chat message from that user and community;
    // anonymous requests are left to the per-client limits in front of the API.
    if (message.userId || message.communityId) {
      const admission = await host.guards.admit(message.userId ?? `web-client:${request.ip}`, message.communityId ?? 'web');
      if (!admission.ok) {
        countWeb('refused');
        const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
        throw new HttpError(
          429,
          `rate.${admission.reason}`,
          `too many requests (${admission.reason.replace('_', ' ')} limit, guards); retry in ${seconds} s`,
          {
            'retry-after': String(seconds),
          },
        );
      }
    }
    const countAs: CountAs | undefined = message.communityId
      ? {
          communityId: message.communityId,
          ...(message.channelId ? { channelId: message.channelId } : {}),
          ...(message.messageId ? { messageId: message.messageId } : {}),
        }
      : undefined;
    // A client that goes away while its request waits in the queue gives its place up.
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) gone.abort(new HttpError(499, 'client.gone', 'the client closed the connection before the answer'));
    };
    reply.raw.once('close', onClose);
    let recognition: Recognition | undefined;
    try {
      recognition = (
        await host.recognize({
          message,
          signal: gone.signal,
          // Fair queueing per client address: one client's backlog does not delay another's first request.
          client: `web:${request.ip}`,
          logBindings: { reqId: request.id },
          ...(countAs ? { countAs } : {}),
        })
      )?.recognition;
    } catch (err) {
      if (gone.signal.aborted) {
        countWeb('dismissed');
        // Whatever the work failed with once its client had gone, the answer is "client gone" (a 499
        // counted as a refusal), not an error logged with a stack.
        throw gone.signal.reason instanceof HttpError ? gone.signal.reason : err;
      }
      if (err instanceof QueueFullError) {
        countWeb('refused');
        throw new HttpError(503, 'server.busy', `server is busy: ${err.message}; retry shortly`, { 'retry-after': '5' });
      }
      if (err instanceof RecognitionCancelled) {
        countWeb('cancelled');
        throw new HttpError(499, 'request.cancelled', 'the client closed the connection before the answer');
      }
      countWeb('failed');
      if (err instanceof RecognitionUnavailableError)
        throw new HttpError(503, 'recognition.unavailable', err.message, { 'retry-after': '5' });
      throw err;
    }
    if (!recognition) throw new HttpError(500, 'internal', 'recognition produced no result');
    countWeb('recognized');
    return sendJson(reply, 200, recognition);
  });

  if (host.stats) {
    const stats = host.stats;
    app.get('/api/stats', statsHandler(stats, config, env));
    // The moderators' dashboard and its statistics API (/dashboard, /api/stats/*, /api/communities).
    registerDashboard(app, { stats, config, env });
    // The watchlist behind the dashboard's panel (GET/POST/DELETE /api/watchlist), same tokens.
    if (host.watch) registerWatchlist(app, { watch: host.watch, config, env });
  }

  const ctx: WebContext = { host, config, env, logger };
  for (const plugin of opts.plugins ?? []) await plugin(app, ctx);
  for (const r of opts.routes ?? []) app.route({ method: r.method, url: r.url, handler: r.handler });

  const listenHost = opts.host ?? config.server.host;
  const port = opts.port ?? config.server.port;
  try {
    await app.listen({ port, host: listenHost });
  } catch (err) {
    await app.close().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    throw new Error(`web server could not listen on ${listenHost}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`);
  }
  const bound = (app.server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(listenHost)}:${bound}`;
  logger.info({ url }, `web: listening on ${url}`);

  return { url, port: bound, app, guard, close: () => app.close() };
}

/** The API's own limits on a parsed message: past them a clear 413 before any work (bots cut instead). */
function checkApiLimits(message: Message, config: EkmmConfig): void {
  const { textChars, imagesPerMessage } = config.limits;
  if (message.text.length > textChars.api) {
    throw new HttpError(
      413,
      'request.text_too_long',
      `"text" has ${message.text.length} characters; at most ${textChars.api} are accepted (limits.textChars.api)`,
    );
  }
  const images = message.images?.length ?? 0;
  if (images > imagesPerMessage) {
    throw new HttpError(
      413,
      'request.too_many_images',
      `${images} images sent; at most ${imagesPerMessage} per message are accepted (limits.imagesPerMessage)`,
    );
  }
}
