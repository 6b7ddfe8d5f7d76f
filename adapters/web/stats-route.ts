// GET /api/stats?community=ID[&format=csv|json][&days=N][&channel=ID][&top=N]
// Moderators only: `Authorization: Bearer <token>`, the token read from the env var named by
// server.moderatorTokenEnv. The web adapter registers it when the host has statistics.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EkmmConfig } from '../../src/config/schema.ts';
import type { EntityStats } from '../../src/stats/entity-stats.ts';
import { rowsToCsv, rowsToJson } from '../../src/stats/export.ts';
import { HttpError, requireBearer, sendJson } from './http.ts';

function requireModerator(request: FastifyRequest, config: EkmmConfig, env: NodeJS.ProcessEnv): void {
  const envName = config.server.moderatorTokenEnv;
  const expected = env[envName];
  if (!expected) {
    throw new HttpError(503, 'stats.disabled', `statistics export is off: set the moderator token in the environment variable ${envName}`);
  }
  requireBearer(request, expected, 'moderator token');
}

function positiveInt(query: URLSearchParams, name: string, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new HttpError(400, 'query.invalid', `query parameter ${name} must be a whole number from 1 to ${max}, got "${raw.slice(0, 40)}"`);
  }
  return Number(raw);
}

export function statsHandler(stats: EntityStats, config: EkmmConfig, env: NodeJS.ProcessEnv = process.env) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    requireModerator(request, config, env);
    const query = new URL(request.url, 'http://localhost').searchParams;
    const community = query.get('community');
    if (!community) throw new HttpError(400, 'query.invalid', 'query parameter community (a guild or chat id) is required');
    const format = query.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv')
      throw new HttpError(400, 'query.invalid', `format must be csv or json, got "${format.slice(0, 20)}"`);
    const days = positiveInt(query, 'days', config.stats.retentionDays);
    const channel = query.get('channel') ?? undefined;
    const window = { communityId: community, ...(days ? { days } : {}), ...(channel !== undefined ? { channelId: channel } : {}) };
    const top = positiveInt(query, 'top', 1000);
    if (top !== undefined) {
      if (format === 'csv') throw new HttpError(400, 'query.invalid', 'top=N is available as JSON only');
      return sendJson(reply, 200, { community, days: days ?? config.stats.retentionDays, top: await stats.top({ ...window, limit: top }) });
    }
    const rows = await stats.rows(window);
    if (format === 'csv') {
      const safeName = community.replace(/[^\w.-]/g, '_').slice(0, 64);
      return reply
        .code(200)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="ekmm-stats-${safeName}.csv"`)
        .send(rowsToCsv(rows));
    }
    return reply.code(200).type('application/json; charset=utf-8').send(rowsToJson(community, rows));
  };
}
