// Who may read which community's statistics. `Authorization: Bearer <token>` where the token is
// either the operator's EKMM_MODERATOR_TOKEN (every community) or a dashboard token signed for
// exactly one community (src/stats/dashboard-token.ts). Missing, altered or expired: 401; a valid
// token for another community: 403. Neither the token nor the header is ever logged.
import type { FastifyRequest } from 'fastify';
import type { EkmmConfig } from '../../../src/config/schema.ts';
import { DashboardTokenError, type DashboardTokens } from '../../../src/stats/dashboard-token.ts';
import { HttpError, sameSecret } from '../http.ts';

export type Access = { kind: 'operator' } | { kind: 'community'; communityId: string; expiresAt: Date };

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) {
    throw new HttpError(
      401,
      'auth.missing',
      'send a dashboard token (from /dashboard in the bot) or the moderator token as "Authorization: Bearer <token>"',
      {
        'www-authenticate': 'Bearer',
      },
    );
  }
  return m[1]!;
}

export function resolveAccess(
  request: FastifyRequest,
  config: EkmmConfig,
  env: NodeJS.ProcessEnv,
  tokens: DashboardTokens,
  now: Date = new Date(),
): Access {
  const token = bearer(request);
  const operatorToken = env[config.server.moderatorTokenEnv];
  if (operatorToken && sameSecret(token, operatorToken)) return { kind: 'operator' };
  try {
    const claims = tokens.verify(token, now);
    return { kind: 'community', communityId: claims.communityId, expiresAt: claims.expiresAt };
  } catch (err) {
    if (err instanceof DashboardTokenError) {
      throw new HttpError(401, err.problem === 'expired' ? 'auth.expired' : 'auth.invalid', err.message, {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    }
    throw err;
  }
}

/** The community a request may read: the one its token names, or any the operator asks for. */
export function communityFor(access: Access, requested: string | null): string {
  if (access.kind === 'operator') {
    if (!requested)
      throw new HttpError(400, 'query.invalid', 'query parameter community (e.g. discord:<guild id>) is required with the moderator token');
    return requested;
  }
  if (requested && requested !== access.communityId) {
    throw new HttpError(
      403,
      'auth.forbidden',
      'this dashboard link is for another community; ask the bot in that community for its own link',
    );
  }
  return access.communityId;
}

export function requireOperator(access: Access): void {
  if (access.kind !== 'operator') throw new HttpError(403, 'auth.forbidden', 'only the operator (moderator token) may list communities');
}
