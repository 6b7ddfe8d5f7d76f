// The moderators' dashboard on the web adapter: the page (GET /dashboard), its assets (served
// from our own server, the chart library from node_modules: nothing from a CDN) and the JSON
// statistics API behind it. Every query takes days=1..retention or from/to=YYYY-MM-DD, channel
// and type (repeated or comma-separated); see README "Moderators' dashboard".
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EkmmConfig } from '../../../src/config/schema.ts';
import { projectPath } from '../../../src/config/load.ts';
import type { EntityStats, WindowQuery } from '../../../src/stats/entity-stats.ts';
import { dashboardTokens, type DashboardTokens } from '../../../src/stats/dashboard-token.ts';
import { HttpError, sendJson } from '../http.ts';
import { communityFor, requireOperator, resolveAccess, type Access } from './access.ts';

const TYPE_RE = /^[A-Z][A-Z0-9_]*$/;
const MAX_ENTITIES = 8;

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(): Map<string, Asset> {
  const require = createRequire(import.meta.url);
  const own = (name: string) => readFileSync(projectPath(`adapters/web/dashboard/assets/${name}`));
  return new Map<string, Asset>([
    ['chartist.js', { body: readFileSync(require.resolve('chartist/dist/index.umd.js')), type: 'text/javascript; charset=utf-8' }],
    ['chartist.css', { body: readFileSync(require.resolve('chartist/dist/index.css')), type: 'text/css; charset=utf-8' }],
    ['dashboard.js', { body: own('dashboard.js'), type: 'text/javascript; charset=utf-8' }],
    ['dashboard.css', { body: own('dashboard.css'), type: 'text/css; charset=utf-8' }],
  ]);
}

function wholeNumber(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new HttpError(
      400,
      'query.invalid',
      `query parameter ${name} must be a whole number from ${min} to ${max}, got "${raw.slice(0, 40)}"`,
    );
  }
  return Number(raw);
}

function typesOf(q: URLSearchParams): string[] | undefined {
  const types = q
    .getAll('type')
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of types)
    if (!TYPE_RE.test(t))
      throw new HttpError(400, 'query.invalid', `query parameter type must be entity types such as PER or LOC, got "${t.slice(0, 20)}"`);
  return types.length ? [...new Set(types)] : undefined;
}

/** `PER:Taylor Swift` (one type) or `Taylor Swift` (every type it was counted as). */
export function parseEntityParam(raw: string): { text: string; type?: string } {
  const m = /^([A-Z][A-Z0-9_]*):(.+)$/s.exec(raw);
  return m ? { type: m[1]!, text: m[2]! } : { text: raw };
}

export interface DashboardOptions {
  stats: EntityStats;
  config: EkmmConfig;
  env: NodeJS.ProcessEnv;
  tokens?: DashboardTokens;
  now?: () => Date;
}

export function registerDashboard(app: FastifyInstance, opts: DashboardOptions): void {
  const { stats, config, env } = opts;
  const tokens = opts.tokens ?? dashboardTokens(env);
  const now = opts.now ?? (() => new Date());
  const assets = loadAssets();
  const page = readFileSync(projectPath('adapters/web/dashboard/assets/dashboard.html'));

  const access = (request: FastifyRequest): Access => resolveAccess(request, config, env, tokens, now());
  const query = (request: FastifyRequest) => new URL(request.url, 'http://localhost').searchParams;

  /** Access check, community and window shared by every statistics route. */
  const scoped = (request: FastifyRequest): { q: URLSearchParams; window: WindowQuery } => {
    const q = query(request);
    const communityId = communityFor(access(request), q.get('community'));
    const days = wholeNumber(q, 'days', 1, config.stats.retentionDays);
    const channel = q.get('channel');
    const types = typesOf(q);
    const window: WindowQuery = {
      communityId,
      ...(days !== undefined ? { days } : {}),
      ...(q.get('from') ? { from: q.get('from')! } : {}),
      ...(q.get('to') ? { to: q.get('to')! } : {}),
      ...(channel !== null ? { channelId: channel } : {}),
      ...(types ? { types } : {}),
      now: now(),
    };
    try {
      stats.window(window); // validates from/to before any query runs
      return { q, window };
    } catch (err) {
      throw err instanceof RangeError ? new HttpError(400, 'query.invalid', err.message) : err;
    }
  };
  const described = (w: WindowQuery) => ({
    community: w.communityId,
    window: stats.window(w),
    channel: w.channelId ?? null,
    types: w.types ?? null,
  });

  app.get('/dashboard', (_request, reply) =>
    reply
      .code(200)
      .type('text/html; charset=utf-8')
      // The token rides in the URL fragment (never sent to a server, never in Referer); the page
      // loads only our own scripts and talks only to us.
      .header(
        'content-security-policy',
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
      )
      .header('referrer-policy', 'no-referrer')
      .send(page),
  );

  app.get('/dashboard/assets/:name', (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
    const asset = assets.get(request.params.name);
    if (!asset) throw new HttpError(404, 'not_found', `no dashboard asset ${request.params.name.slice(0, 40)}`);
    return reply.code(200).type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
  });

  app.get('/api/dashboard/session', (request, reply) => {
    const a = access(request);
    return sendJson(reply, 200, {
      operator: a.kind === 'operator',
      community: a.kind === 'community' ? a.communityId : null,
      expiresAt: a.kind === 'community' ? a.expiresAt.toISOString() : null,
      entityTypes: config.entityTypes,
      retentionDays: config.stats.retentionDays,
    });
  });

  app.get('/api/communities', async (request, reply) => {
    requireOperator(access(request));
    return sendJson(reply, 200, { communities: await stats.communities() });
  });

  app.get('/api/stats/top', async (request, reply) => {
    const { q, window } = scoped(request);
    const limit = wholeNumber(q, 'limit', 1, 100) ?? 10;
    return sendJson(reply, 200, { ...described(window), top: await stats.top({ ...window, limit }) });
  });

  app.get('/api/stats/series', async (request, reply) => {
    const { q, window } = scoped(request);
    const entities = q
      .getAll('entity')
      .filter((e) => e.trim())
      .map(parseEntityParam);
    if (entities.length === 0)
      throw new HttpError(
        400,
        'query.invalid',
        'query parameter entity is required (repeat it for several; TYPE:text picks one type, e.g. PER:Taylor Swift)',
      );
    if (entities.length > MAX_ENTITIES)
      throw new HttpError(400, 'query.invalid', `at most ${MAX_ENTITIES} entity parameters, got ${entities.length}`);
    return sendJson(reply, 200, { ...described(window), ...(await stats.series({ ...window, entities })) });
  });

  app.get('/api/stats/rising', async (request, reply) => {
    const { q, window } = scoped(request);
    const minCount = wholeNumber(q, 'minCount', 1, 1_000_000) ?? 5;
    const limit = wholeNumber(q, 'limit', 1, 100) ?? 10;
    return sendJson(reply, 200, { ...described(window), ...(await stats.rising({ ...window, minCount, limit })) });
  });

  app.get('/api/stats/pairs', async (request, reply) => {
    const { q, window } = scoped(request);
    const limit = wholeNumber(q, 'limit', 1, 100) ?? 20;
    return sendJson(reply, 200, { ...described(window), pairs: await stats.pairs({ ...window, limit }) });
  });

  app.get('/api/stats/breakdown', async (request, reply) => {
    const { window } = scoped(request);
    return sendJson(reply, 200, { ...described(window), ...(await stats.breakdown(window)) });
  });
}
