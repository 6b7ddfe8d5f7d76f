// GET /api/stats?community=ID[&format=csv|json][&days=N][&channel=ID][&top=N]
// Moderators only: `Authorization: Bearer <token>`, the token read from the env var named by
// server.moderatorTokenEnv. Registered on the web adapter through its route hook.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { EkmmConfig } from '../config/schema.ts';
import type { RouteContext, RouteHandler, WebRoute } from '../../adapters/web/index.ts';
import { HttpError, sendJson } from '../../adapters/web/index.ts';
import type { EntityStats } from './entity-stats.ts';
import { rowsToCsv, rowsToJson } from './export.ts';

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function requireModerator(ctx: RouteContext, config: EkmmConfig, env: NodeJS.ProcessEnv): void {
  const envName = config.server.moderatorTokenEnv;
  const expected = env[envName];
  if (!expected) {
    throw new HttpError(503, 'stats.disabled', `statistics export is off: set the moderator token in the environment variable ${envName}`);
  }
  const header = ctx.req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new HttpError(401, 'auth.missing', 'send the moderator token as "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
  if (!sameSecret(m[1]!, expected)) throw new HttpError(403, 'auth.refused', 'the moderator token is not valid');
}

function positiveInt(url: URL, name: string, max: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new HttpError(400, 'query.invalid', `query parameter ${name} must be a whole number from 1 to ${max}, got "${raw.slice(0, 40)}"`);
  }
  return Number(raw);
}

export function statsHandler(stats: EntityStats, config: EkmmConfig, env: NodeJS.ProcessEnv = process.env): RouteHandler {
  return async (ctx) => {
    requireModerator(ctx, config, env);
    const { url, res } = ctx;
    const community = url.searchParams.get('community');
    if (!community) throw new HttpError(400, 'query.invalid', 'query parameter community (a guild or chat id) is required');
    const format = url.searchParams.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new HttpError(400, 'query.invalid', `format must be csv or json, got "${format.slice(0, 20)}"`);
    const days = positiveInt(url, 'days', config.stats.retentionDays);
    const channel = url.searchParams.get('channel') ?? undefined;
    const window = { communityId: community, ...(days ? { days } : {}), ...(channel !== undefined ? { channelId: channel } : {}) };
    const top = positiveInt(url, 'top', 1000);
    if (top !== undefined) {
      if (format === 'csv') throw new HttpError(400, 'query.invalid', 'top=N is available as JSON only');
      sendJson(res, 200, { community, days: days ?? config.stats.retentionDays, top: await stats.top({ ...window, limit: top }) });
      return;
    }
    const rows = await stats.rows(window);
    if (format === 'csv') {
      const body = rowsToCsv(rows);
      const safeName = community.replace(/[^\w.-]/g, '_').slice(0, 64);
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'content-disposition': `attachment; filename="ekmm-stats-${safeName}.csv"`,
        'cache-control': 'no-store',
      });
      res.end(body);
      return;
    }
    const body = rowsToJson(community, rows);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  };
}

/** The route to pass to startWebServer({ routes }) or web.route(...). */
export function statsRoute(stats: EntityStats, config: EkmmConfig, env: NodeJS.ProcessEnv = process.env): WebRoute {
  return { method: 'GET', path: '/api/stats', handler: statsHandler(stats, config, env) };
}
