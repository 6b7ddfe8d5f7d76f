// Admission for the web API, before any body byte is read (issue 8): connection limits per
// client address, the Host and Origin checks, the body size from Content-Length, requests per
// client address (rate-limiter-flexible), room in the lane the request will go to, and a budget
// of body bytes in flight. A refused request costs a header parse and a short JSON reply.
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Registry } from 'prom-client';
import type { EkmmConfig } from '../../src/config/schema.ts';
import type { Host } from '../../src/host/index.ts';
import { RefusalLog } from '../../src/host/refusals.ts';
import { errorBody, HttpError, sendJson } from './http.ts';
import { textOnlyBodyBytes } from './json-body.ts';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export interface GuardOptions {
  config: EkmmConfig;
  host: Host;
  log: (line: string) => void;
  /** The app's metrics registry, for ekmm_refusals_total. */
  registry?: Registry;
  /** The path(s) that do recognition work (admission applies to them). */
  workPaths?: string[];
}

function hostnameOf(hostHeader: string): string {
  // "[::1]:8787" -> "[::1]", "example.org:80" -> "example.org"
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(hostHeader.trim().toLowerCase());
  return m?.[1] ?? hostHeader;
}

export class WebGuard {
  readonly refusals: RefusalLog;
  private readonly perClient: RateLimiterMemory;
  private readonly connections = new Map<string, number>();
  private readonly allowedHosts: Set<string> | undefined;
  private readonly allowedOrigins: Set<string>;
  private readonly workPaths: Set<string>;
  private bodyBytes = 0;
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: GuardOptions) {
    const web = options.config.limits.web;
    this.refusals = new RefusalLog('web', options.log, web.refusalLogIntervalMs, options.registry);
    this.perClient = new RateLimiterMemory({ keyPrefix: 'web-client', points: web.requestsPerClientPerMinute, duration: 60 });
    // On a wildcard listen address with no names configured, the operator exposes the service as
    // is; otherwise only loopback names and the configured ones (a DNS-rebinding page sends its own).
    const listen = options.config.server.host;
    this.allowedHosts =
      WILDCARD.has(listen) && web.allowedHosts.length === 0
        ? undefined
        : new Set([...LOOPBACK_NAMES, listen.toLowerCase(), ...web.allowedHosts.map((h) => hostnameOf(h))]);
    this.allowedOrigins = new Set(web.allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
    this.workPaths = new Set(options.workPaths ?? ['/api/recognize']);
  }

  /** Bytes of admitted bodies whose replies are not sent yet. */
  get bodyBytesInFlight(): number {
    return this.bodyBytes;
  }

  install(app: FastifyInstance): void {
    const web = this.options.config.limits.web;
    const server = app.server;
    server.maxConnections = web.maxConnections;
    server.requestTimeout = web.requestTimeoutMs;
    server.headersTimeout = Math.min(web.requestTimeoutMs, 10_000);
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('drop', () => this.refusals.note('connections.max'));
    app.addHook('onRequest', async (request, reply) => {
      try {
        this.checkHost(request);
        if (request.method === 'OPTIONS') return this.preflight(request, reply);
        const origin = this.checkOrigin(request);
        if (origin) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
        if (request.method === 'POST' && this.workPaths.has(request.url.split('?')[0] ?? '')) await this.admit(request, reply);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        this.refusals.note(err.code);
        // Refused before the body is read: close the connection so the rest is never sent to us.
        return sendJson(reply, err.status, errorBody(err), { ...err.headers, connection: 'close' });
      }
      return undefined;
    });
  }

  close(): void {
    this.refusals.close();
  }

  private onConnection(socket: Socket): void {
    const ip = socket.remoteAddress ?? '?';
    const n = (this.connections.get(ip) ?? 0) + 1;
    if (n > this.options.config.limits.web.connectionsPerClient) {
      this.refusals.note('connections.per_client');
      socket.destroy();
      return;
    }
    this.connections.set(ip, n);
    socket.once('close', () => {
      const left = (this.connections.get(ip) ?? 1) - 1;
      if (left <= 0) this.connections.delete(ip);
      else this.connections.set(ip, left);
    });
  }

  private checkHost(request: FastifyRequest): void {
    if (!this.allowedHosts) return;
    const header = request.headers.host;
    if (header === undefined) return;
    if (!this.allowedHosts.has(hostnameOf(header))) {
      throw new HttpError(
        403,
        'request.host_refused',
        `Host "${header.slice(0, 100)}" is not served here; add it to limits.web.allowedHosts`,
      );
    }
  }

  /** The allowed foreign origin to echo in CORS headers, undefined for same-origin or no Origin; throws when refused. */
  private checkOrigin(request: FastifyRequest): string | undefined {
    if (SAFE_METHODS.has(request.method)) return undefined;
    const origin = request.headers.origin;
    if (origin === undefined) {
      // A browser always sends Origin on a cross-site POST; Sec-Fetch-Site covers the rest.
      if (request.headers['sec-fetch-site'] === 'cross-site') throw this.originRefused('(none, cross-site)');
      return undefined;
    }
    const normalized = origin.toLowerCase().replace(/\/$/, '');
    const self = `${request.protocol}://${(request.headers.host ?? '').toLowerCase()}`;
    if (normalized === self) return undefined;
    if (this.allowedOrigins.has(normalized)) return origin;
    throw this.originRefused(origin);
  }

  private originRefused(origin: string): HttpError {
    return new HttpError(
      403,
      'request.origin_refused',
      `requests from origin ${origin.slice(0, 100)} are refused; add it to limits.web.allowedOrigins`,
    );
  }

  private preflight(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const origin = request.headers.origin ?? '';
    if (!this.allowedOrigins.has(origin.toLowerCase().replace(/\/$/, ''))) throw this.originRefused(origin || '(none)');
    return reply
      .code(204)
      .headers({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
        vary: 'Origin',
      })
      .send();
  }

  private async admit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { config, host } = this.options;
    const max = config.server.maxBodyBytes;
    const declared = Number(request.headers['content-length']);
    const length = Number.isFinite(declared) ? declared : undefined;
    if (length !== undefined && length > max) {
      throw new HttpError(
        413,
        'body.too_large',
        `request body of ${length} bytes exceeds the limit of ${max} bytes (server.maxBodyBytes); send fewer or smaller images`,
      );
    }
    try {
      await this.perClient.consume(request.ip);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new HttpError(
        429,
        'rate.client',
        `too many requests from ${request.ip} (limits.web.requestsPerClientPerMinute); retry in ${seconds} s`,
        {
          'retry-after': String(seconds),
        },
      );
    }
    const multipart = /^multipart\//i.test(request.headers['content-type'] ?? '');
    // A body larger than any text-only message can need must carry images (json-body.ts refuses it
    // while it streams in if it does not): it goes to the image lane.
    const lane = multipart || (length ?? max) > textOnlyBodyBytes(config.limits.textChars.api) ? host.queue : host.textQueue;
    if (lane.full) {
      throw new HttpError(
        503,
        'server.busy',
        `server is busy: the ${lane === host.queue ? 'image' : 'text'} queue is full; retry shortly`,
        { 'retry-after': '5' },
      );
    }
    // A body without Content-Length (chunked) is budgeted at the largest it may grow to.
    const bytes = length ?? max;
    if (this.bodyBytes + bytes > config.limits.web.bodyBytesInFlight && this.bodyBytes > 0) {
      throw new HttpError(
        503,
        'server.busy',
        `server is busy: ${this.bodyBytes} bytes of uploads in progress (limits.web.bodyBytesInFlight); retry shortly`,
        {
          'retry-after': '2',
        },
      );
    }
    // One client's share of the lanes: a flood from one address cannot fill the queue for everyone.
    const mine = this.inFlight.get(request.ip) ?? 0;
    if (mine >= config.limits.web.inFlightPerClient) {
      throw new HttpError(
        429,
        'rate.client_in_flight',
        `${mine} requests from ${request.ip} are already in progress (limits.web.inFlightPerClient); wait for their answers`,
        {
          'retry-after': '1',
        },
      );
    }
    this.inFlight.set(request.ip, mine + 1);
    this.bodyBytes += bytes;
    reply.raw.once('close', () => {
      this.bodyBytes -= bytes;
      const left = (this.inFlight.get(request.ip) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(request.ip);
      else this.inFlight.set(request.ip, left);
    });
  }
}
