// Dashboard sign-in tokens: `<payload>.<mac>`, both base64url, payload = {"c": community,
// "exp": epoch ms, "v": 1}, mac = HMAC-SHA256(secret, "ekmm-dashboard.v1." + payload).
// A token names exactly one community and expires; the secret comes from EKMM_DASHBOARD_SECRET,
// or is random per process start when unset (links then die with a restart). Tokens are bearer
// secrets: never log them.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EkmmConfig } from '../config/schema.ts';

export const DASHBOARD_SECRET_ENV = 'EKMM_DASHBOARD_SECRET';
export const DEFAULT_DASHBOARD_TTL_MS = 24 * 3_600_000;
const CONTEXT = 'ekmm-dashboard.v1.';
/** Tokens cannot be issued for longer than this, whatever the caller asks. */
const MAX_TTL_MS = 31 * 86_400_000;

export type TokenProblem = 'malformed' | 'signature' | 'expired';

export class DashboardTokenError extends Error {
  constructor(readonly problem: TokenProblem) {
    super(
      problem === 'expired'
        ? 'the dashboard link has expired; ask the bot for a new one (/dashboard)'
        : 'the dashboard link is not valid (altered or from another server start); ask the bot for a new one (/dashboard)',
    );
    this.name = 'DashboardTokenError';
  }
}

export interface DashboardClaims {
  communityId: string;
  expiresAt: Date;
}

export class DashboardTokens {
  private readonly key: Buffer;
  /** True when the secret was generated at start (EKMM_DASHBOARD_SECRET unset). */
  readonly ephemeral: boolean;

  constructor(secret?: string) {
    if (secret !== undefined && secret.length < 16) {
      throw new Error(`${DASHBOARD_SECRET_ENV} must be at least 16 characters (got ${secret.length}); use e.g. \`openssl rand -hex 32\``);
    }
    this.ephemeral = secret === undefined || secret === '';
    this.key = this.ephemeral ? randomBytes(32) : Buffer.from(secret!, 'utf8');
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key)
      .update(CONTEXT + payload)
      .digest();
  }

  sign(communityId: string, ttlMs: number = DEFAULT_DASHBOARD_TTL_MS, now: Date = new Date()): string {
    if (!communityId) throw new Error('a dashboard token needs a community id');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS)
      throw new RangeError(`dashboard token lifetime must be between 1 ms and 31 days, got ${ttlMs} ms`);
    const payload = Buffer.from(JSON.stringify({ c: communityId, exp: now.getTime() + ttlMs, v: 1 }), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The community the token names; throws DashboardTokenError when it is altered, foreign or expired. */
  verify(token: string, now: Date = new Date()): DashboardClaims {
    const m = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) throw new DashboardTokenError('malformed');
    const given = Buffer.from(m[2]!, 'base64url');
    const expected = this.mac(m[1]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new DashboardTokenError('signature');
    let claims: { c?: unknown; exp?: unknown; v?: unknown };
    try {
      claims = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw new DashboardTokenError('malformed');
    }
    if (claims.v !== 1 || typeof claims.c !== 'string' || !claims.c || typeof claims.exp !== 'number')
      throw new DashboardTokenError('malformed');
    if (claims.exp <= now.getTime()) throw new DashboardTokenError('expired');
    return { communityId: claims.c, expiresAt: new Date(claims.exp) };
  }
}

const signers = new Map<string, DashboardTokens>();

/**
 * The process's signer for a secret: the bots sign with it and the web adapter verifies with
 * it, so they agree even when the secret is random per start (one random key per process).
 */
export function dashboardTokens(env: NodeJS.ProcessEnv = process.env): DashboardTokens {
  const secret = env[DASHBOARD_SECRET_ENV] || '';
  let signer = signers.get(secret);
  if (!signer) {
    signer = new DashboardTokens(secret || undefined);
    signers.set(secret, signer);
  }
  return signer;
}

/** A token for one community's dashboard, valid `ttlMs` (default 24 h). */
export function signDashboardToken(
  communityId: string,
  ttlMs: number = DEFAULT_DASHBOARD_TTL_MS,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return dashboardTokens(env).sign(communityId, ttlMs);
}

/** `<publicUrl>/dashboard#t=<token>`: the token rides in the fragment, which browsers never send to servers or put in Referer. */
export function dashboardLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/dashboard#t=${token}`;
}

/**
 * The link a bot hands a moderator: signed for the community, valid server.dashboardTokenHours,
 * on server.publicUrl or, when unset, the web server's own address (`serverUrl` when known).
 */
export function dashboardLinkFor(
  config: Pick<EkmmConfig, 'server'>,
  communityId: string,
  opts: { serverUrl?: string; env?: NodeJS.ProcessEnv; now?: Date } = {},
): { url: string; expiresAt: Date } {
  const ttlMs = config.server.dashboardTokenHours * 3_600_000;
  const now = opts.now ?? new Date();
  const token = dashboardTokens(opts.env).sign(communityId, ttlMs, now);
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  const base = config.server.publicUrl ?? opts.serverUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
  return { url: dashboardLink(base, token), expiresAt: new Date(now.getTime() + ttlMs) };
}
