// Bounded image download: only allow-listed hosts, redirects re-checked, a HEAD size check and a
// streaming byte cap (a server that lies in Content-Length is cut off at maxBytes), one deadline.

export interface FetchLimits {
  allowedHosts: string[];
  maxBytes: number;
  timeoutMs: number;
}

export type FetchOutcome =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; code: 'image.host_refused' | 'image.too_large' | 'image.fetch_failed'; reason: string };

const MAX_REDIRECTS = 3;

function hostAllowed(url: URL, hosts: string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return hosts.some((h) => h.toLowerCase() === host);
}

function checkUrl(raw: string, limits: FetchLimits): URL | FetchOutcome {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, code: 'image.fetch_failed', reason: `"${raw.slice(0, 200)}" is not a valid URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, code: 'image.host_refused', reason: `scheme ${url.protocol} is not allowed (http/https only)` };
  }
  if (!hostAllowed(url, limits.allowedHosts)) {
    const list = limits.allowedHosts.length ? limits.allowedHosts.join(', ') : '(none: intake.urlHosts is empty)';
    return { ok: false, code: 'image.host_refused', reason: `host ${url.hostname} is not in intake.urlHosts ${list}` };
  }
  return url;
}

function declaredLength(res: Response): number | undefined {
  const v = res.headers.get('content-length');
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

/** Follows redirects by hand so every hop's host is checked against the allow-list. */
async function request(start: URL, method: 'HEAD' | 'GET', limits: FetchLimits, signal: AbortSignal): Promise<Response | FetchOutcome> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetch(url, { method, redirect: 'manual', signal });
    if (res.status < 300 || res.status >= 400) return res;
    const location = res.headers.get('location');
    await res.body?.cancel();
    if (!location) return { ok: false, code: 'image.fetch_failed', reason: `HTTP ${res.status} without Location` };
    const next = checkUrl(new URL(location, url).toString(), limits);
    if (!(next instanceof URL)) return next;
    url = next;
  }
  return { ok: false, code: 'image.fetch_failed', reason: `more than ${MAX_REDIRECTS} redirects` };
}

async function readCapped(res: Response, maxBytes: number): Promise<FetchOutcome> {
  if (!res.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return { ok: false, code: 'image.too_large', reason: `download exceeded ${maxBytes} bytes (intake.maxBytes); cut off` };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { ok: true, bytes };
}

export async function fetchImage(raw: string, limits: FetchLimits): Promise<FetchOutcome> {
  const url = checkUrl(raw, limits);
  if (!(url instanceof URL)) return url;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  try {
    const head = await request(url, 'HEAD', limits, controller.signal).catch(() => undefined);
    if (head && !(head instanceof Response)) return head;
    // A HEAD that fails or is not allowed (405) is not fatal: the GET below is capped anyway.
    if (head?.ok) {
      const len = declaredLength(head);
      if (len !== undefined && len > limits.maxBytes) {
        return { ok: false, code: 'image.too_large', reason: `Content-Length ${len} exceeds ${limits.maxBytes} bytes (intake.maxBytes)` };
      }
    }
    const res = await request(url, 'GET', limits, controller.signal);
    if (!(res instanceof Response)) return res;
    if (!res.ok) {
      await res.body?.cancel();
      return { ok: false, code: 'image.fetch_failed', reason: `HTTP ${res.status} from ${url.host}` };
    }
    const len = declaredLength(res);
    if (len !== undefined && len > limits.maxBytes) {
      await res.body?.cancel();
      return { ok: false, code: 'image.too_large', reason: `Content-Length ${len} exceeds ${limits.maxBytes} bytes (intake.maxBytes)` };
    }
    return await readCapped(res, limits.maxBytes);
  } catch (err) {
    const reason = controller.signal.aborted
      ? `no complete answer within ${limits.timeoutMs} ms (intake.fetchTimeoutMs)`
      : `request failed: ${(err as Error).message}`;
    return { ok: false, code: 'image.fetch_failed', reason };
  } finally {
    clearTimeout(timer);
  }
}
