// The watchlist API behind the dashboard's watchlist panel, with the same token rules as
// /api/stats/* (adapters/web/dashboard/access.ts): a dashboard token reads and edits only its own
// community (403 elsewhere), the operator token any community named by `community`.
//   GET    /api/watchlist                       the entries and where alerts go
//   POST   /api/watchlist  {"entity": "Taylor Swift"} | {"type": "PER"}   add (201; 200 when present)
//   DELETE /api/watchlist?entity=Taylor%20Swift | ?type=PER              remove (404 when absent)
// The operator adds `community` (query string, or in the POST body).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EkmmConfig } from '../../../src/config/schema.ts';
import { dashboardTokens, type DashboardTokens } from '../../../src/stats/dashboard-token.ts';
import {
  entityEntry,
  typeEntry,
  WatchInputError,
  type CommunityWatch,
  type WatchAlerts,
  type WatchEntry,
} from '../../../src/watch/index.ts';
import { HttpError, sendJson } from '../http.ts';
import { communityFor, resolveAccess } from './access.ts';

export interface WatchlistRouteOptions {
  watch: WatchAlerts;
  config: EkmmConfig;
  env: NodeJS.ProcessEnv;
  tokens?: DashboardTokens;
  now?: () => Date;
}

/** An entry as the API shows it: what to display and what to send back to remove it. */
function shown(e: WatchEntry): { kind: 'entity'; entity: string; key: string } | { kind: 'type'; type: string } {
  return e.kind === 'entity' ? { kind: 'entity', entity: e.text, key: e.key } : { kind: 'type', type: e.type };
}

function described(communityId: string, watch: CommunityWatch, opts: WatchlistRouteOptions) {
  return {
    community: communityId,
    entries: watch.entries.map(shown),
    maxEntries: opts.config.watch.maxEntries,
    alertWindowMinutes: opts.watch.windowMinutes,
    alerts: {
      discordChannel: watch.alertChannel ?? null,
      telegramAdmins: Object.values(watch.alertAdmins ?? {}).filter((c) => c.alerts).length,
    },
  };
}

/** `{entity}` or `{type}`, exactly one, from a query string or a JSON body. */
function entryFrom(fields: { entity?: unknown; type?: unknown }, types: readonly string[], where: string): WatchEntry {
  const hasEntity = fields.entity !== undefined && fields.entity !== null;
  const hasType = fields.type !== undefined && fields.type !== null;
  if (hasEntity === hasType)
    throw new HttpError(400, 'watch.invalid', `send exactly one of entity (a name) or type (one of ${types.join(', ')}) ${where}`);
  const value = hasEntity ? fields.entity : fields.type;
  if (typeof value !== 'string') throw new HttpError(400, 'watch.invalid', `${hasEntity ? 'entity' : 'type'} ${where} must be a string`);
  try {
    return hasEntity ? entityEntry(value) : typeEntry(value, types);
  } catch (err) {
    if (err instanceof WatchInputError)
      throw new HttpError(400, 'watch.invalid', `${err.message} (${hasEntity ? 'entity' : 'type'} ${where})`);
    throw err;
  }
}

/** The request body as a JSON object (the web adapter hands every body over as bytes). */
function jsonObject(request: FastifyRequest): Record<string, unknown> {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type))
    throw new HttpError(
      415,
      'watch.invalid',
      'send a JSON object (content-type: application/json) such as {"entity": "Taylor Swift"} or {"type": "PER"}',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString('utf8') : String(request.body ?? ''));
  } catch (err) {
    throw new HttpError(400, 'watch.invalid', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new HttpError(400, 'watch.invalid', 'the body must be a JSON object such as {"entity": "Taylor Swift"} or {"type": "PER"}');
  return parsed as Record<string, unknown>;
}

export function registerWatchlist(app: FastifyInstance, opts: WatchlistRouteOptions): void {
  const { watch, config, env } = opts;
  const store = watch.watchlists;
  const tokens = opts.tokens ?? dashboardTokens(env);
  const now = opts.now ?? (() => new Date());
  const query = (request: FastifyRequest) => new URL(request.url, 'http://localhost').searchParams;
  const community = (request: FastifyRequest, requested: string | null) =>
    communityFor(resolveAccess(request, config, env, tokens, now()), requested);

  app.get('/api/watchlist', async (request, reply) => {
    const communityId = community(request, query(request).get('community'));
    return sendJson(reply, 200, described(communityId, await store.get(communityId), opts));
  });

  app.post('/api/watchlist', async (request, reply) => {
    // Access first: a wrong token hears 401 whatever its body holds.
    const access = resolveAccess(request, config, env, tokens, now());
    const body = jsonObject(request);
    const requested = typeof body.community === 'string' ? body.community : query(request).get('community');
    const communityId = communityFor(access, requested);
    const entry = entryFrom(body, config.entityTypes, 'in the JSON body');
    const r = await store.add(communityId, entry);
    if (!r.added && r.reason === 'full')
      throw new HttpError(
        409,
        'watch.full',
        `the watchlist of ${communityId} is full (${config.watch.maxEntries} entries, watch.maxEntries)`,
      );
    return sendJson(reply, r.added ? 201 : 200, { ...described(communityId, await store.get(communityId), opts), added: r.added });
  });

  app.delete('/api/watchlist', async (request, reply) => {
    const q = query(request);
    const communityId = community(request, q.get('community'));
    const entry = entryFrom({ entity: q.get('entity'), type: q.get('type') }, config.entityTypes, 'in the query string');
    const r = await store.remove(communityId, entry);
    if (!r.removed)
      throw new HttpError(
        404,
        'watch.absent',
        `${entry.kind === 'entity' ? entry.text : `type:${entry.type}`} is not on the watchlist of ${communityId}`,
      );
    return sendJson(reply, 200, described(communityId, await store.get(communityId), opts));
  });
}
