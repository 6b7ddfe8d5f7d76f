// Small HTTP helpers shared by the web adapter's routes and by routes others register
// (statistics, dashboard): the error type carrying a status, JSON replies, and the bearer check.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** An error that becomes an HTTP reply: `{ error: { code, message } }` with this status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Sends `body` as JSON with this status (cache-control: no-store is added to every reply). */
export function sendJson(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export function errorBody(err: HttpError): { error: { code: string; message: string } } {
  return { error: { code: err.code, message: err.message } };
}

/** Compares two secrets in constant time whatever their lengths (both are hashed first). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Requires `Authorization: Bearer <expected>`: 401 without one, 403 with a wrong one. The token
 * is compared in constant time and never appears in an error or a log line.
 */
export function requireBearer(request: FastifyRequest, expected: string, what: string): void {
  const header = request.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new HttpError(401, 'auth.missing', `send the ${what} as "Authorization: Bearer <token>"`, { 'www-authenticate': 'Bearer' });
  if (!sameSecret(m[1]!, expected)) throw new HttpError(403, 'auth.refused', `the ${what} is not valid`);
}

/** Whether the request carries `Authorization: Bearer <expected>` (constant-time); never throws. */
export function hasBearer(request: FastifyRequest, expected: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return m !== null && sameSecret(m[1]!, expected);
}
