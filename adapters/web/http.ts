// Small HTTP helpers shared by the web adapter's routes and by routes other adapters register
// (e.g. /api/stats): JSON replies, capped body reading, and an error type carrying a status.
import type { IncomingMessage, ServerResponse } from 'node:http';

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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
}

/**
 * Reads the whole request body, refusing more than `maxBytes`. A declared Content-Length over
 * the cap is refused before reading; a body that grows past it mid-stream is refused as soon as
 * it does. Either way the rest of the upload is discarded (not buffered) so the client can read
 * the 413 instead of seeing a reset connection.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (got: string) =>
    new HttpError(
      413,
      'body.too_large',
      `request body ${got} exceeds the limit of ${maxBytes} bytes (server.maxBodyBytes); send fewer or smaller images`,
      { connection: 'close' },
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge(`of ${declared} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge(`of more than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!refused) reject(new HttpError(400, 'body.unreadable', `request body could not be read: ${err.message}`));
    });
  });
}
