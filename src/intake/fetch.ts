// Bounded image download: only allow-listed host:port pairs, every resolved address checked
// (private, loopback and link-local ones refused unless configured), redirects re-checked, a HEAD
// size check and a streaming byte cap (a server that lies in Content-Length is cut off at
// maxBytes), one deadline for the whole download (a server that drips bytes is cut by it).
//
// node:http(s) rather than fetch(): its `lookup` hook lets the addresses we checked be the ones we
// connect to, so a name cannot resolve to a public address for the check and a private one for the
// connection (DNS rebinding).
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name -> addresses; injected in tests (a test hostname mapped to 127.0.0.1). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface FetchLimits {
  /** "host" (the scheme's default port only) or "host:port"; IPv6 as "[::1]:8080". */
  allowedHosts: string[];
  maxBytes: number;
  timeoutMs: number;
  /** Connect to private, loopback, link-local addresses too (intake.allowPrivateAddresses). */
  allowPrivate?: boolean;
  resolve?: Resolver;
  /** Where the allow-list comes from, for messages (default intake.urlHosts). */
  listName?: string;
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Date.now() time past which the download is abandoned (the message deadline). */
  deadline?: number;
}

export type FetchOutcome =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; code: 'image.host_refused' | 'image.too_large' | 'image.fetch_failed'; reason: string };

const MAX_REDIRECTS = 3;

/** Addresses no image URL should reach unless configured: RFC 1918, loopback, link-local, CGNAT, multicast, reserved. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  // An IPv4-mapped IPv6 address reaches the IPv4 host it names.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const defaultResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

function defaultPort(url: URL): string {
  return url.protocol === 'https:' ? '443' : '80';
}

/** Whether url's host and port are on the list ("host" means the scheme's default port). */
export function urlAllowed(url: URL, hosts: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || defaultPort(url);
  return hosts.some((entry) => {
    const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(entry.trim().toLowerCase());
    if (!m) return false;
    // A bare IPv6 address ("::1") has colons but no port.
    const bareV6 = !entry.includes('[') && (entry.match(/:/g)?.length ?? 0) > 1;
    const entryHost = bareV6 ? entry.trim().toLowerCase() : m[1]!;
    const entryPort = bareV6 ? defaultPort(url) : (m[2] ?? defaultPort(url));
    return entryHost === host && entryPort === port;
  });
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
  const listName = limits.listName ?? 'intake.urlHosts';
  if (!urlAllowed(url, limits.allowedHosts)) {
    const list = limits.allowedHosts.length ? limits.allowedHosts.join(', ') : `(none: ${listName} is empty)`;
    return { ok: false, code: 'image.host_refused', reason: `${url.host} (host and port) is not in ${listName}: ${list}` };
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && !limits.allowPrivate && isPrivateAddress(literal)) {
    return {
      ok: false,
      code: 'image.host_refused',
      reason: `${literal} is a private, loopback or link-local address (intake.allowPrivateAddresses is false)`,
    };
  }
  return url;
}

class Refused extends Error {}

/** A `lookup` for node:http that resolves through the resolver and refuses private addresses. */
function checkedLookup(limits: FetchLimits): LookupFunction {
  const resolve = limits.resolve ?? defaultResolver;
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const bad = limits.allowPrivate ? undefined : found.find((a) => isPrivateAddress(a.address));
        if (found.length === 0) return callback(new Error(`${hostname} has no address`), '', 4);
        if (bad) {
          const err = new Refused(
            `${hostname} resolves to ${bad.address}, a private, loopback or link-local address (intake.allowPrivateAddresses is false)`,
          );
          return callback(err, '', 4);
        }
        if ((options as { all?: boolean }).all) {
          (callback as unknown as (e: null, all: ResolvedAddress[]) => void)(null, found);
        } else callback(null, found[0]!.address, found[0]!.family);
      },
      (err: Error) => callback(err, '', 4),
    );
  };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
}

function send(url: URL, method: 'HEAD' | 'GET', limits: FetchLimits, signal: AbortSignal): Promise<Answer> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, signal, lookup: checkedLookup(limits), headers: { accept: 'image/*' } }, (res) =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Follows redirects by hand so every hop's host is checked against the allow-list. */
async function follow(start: URL, method: 'HEAD' | 'GET', limits: FetchLimits, signal: AbortSignal): Promise<Answer | FetchOutcome> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await send(url, method, limits, signal);
    if (res.status < 300 || res.status >= 400) return res;
    res.body.destroy();
    const location = res.headers.location;
    if (!location) return { ok: false, code: 'image.fetch_failed', reason: `HTTP ${res.status} without Location` };
    const next = checkUrl(new URL(location, url).toString(), limits);
    if (!(next instanceof URL)) return next;
    url = next;
  }
  return { ok: false, code: 'image.fetch_failed', reason: `more than ${MAX_REDIRECTS} redirects` };
}

function declaredLength(res: Answer): number | undefined {
  const v = res.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

async function readCapped(res: Answer, maxBytes: number): Promise<FetchOutcome> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      res.body.destroy();
      return { ok: false, code: 'image.too_large', reason: `download exceeded ${maxBytes} bytes (intake.maxBytes); cut off` };
    }
    chunks.push(chunk);
  }
  return { ok: true, bytes: new Uint8Array(Buffer.concat(chunks, total)) };
}

export async function fetchImage(raw: string, limits: FetchLimits, options: FetchOptions = {}): Promise<FetchOutcome> {
  const url = checkUrl(raw, limits);
  if (!(url instanceof URL)) return url;
  const budget = Math.max(0, Math.min(limits.timeoutMs, options.deadline === undefined ? Infinity : options.deadline - Date.now()));
  const timer = AbortSignal.timeout(budget);
  const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
  try {
    const head = await follow(url, 'HEAD', limits, signal).catch((err: unknown) => {
      if (err instanceof Refused) return { ok: false as const, code: 'image.host_refused' as const, reason: err.message };
      // A HEAD that fails or is not allowed (405) is not fatal: the GET below is capped anyway.
      if (signal.aborted) throw err;
      return undefined;
    });
    if (head && !('body' in head)) return head;
    if (head) {
      head.body.resume();
      const len = head.status < 300 ? declaredLength(head) : undefined;
      if (len !== undefined && len > limits.maxBytes) {
        return { ok: false, code: 'image.too_large', reason: `Content-Length ${len} exceeds ${limits.maxBytes} bytes (intake.maxBytes)` };
      }
    }
    const res = await follow(url, 'GET', limits, signal);
    if (!('body' in res)) return res;
    if (res.status < 200 || res.status >= 300) {
      res.body.destroy();
      return { ok: false, code: 'image.fetch_failed', reason: `HTTP ${res.status} from ${url.host}` };
    }
    const len = declaredLength(res);
    if (len !== undefined && len > limits.maxBytes) {
      res.body.destroy();
      return { ok: false, code: 'image.too_large', reason: `Content-Length ${len} exceeds ${limits.maxBytes} bytes (intake.maxBytes)` };
    }
    return await readCapped(res, limits.maxBytes);
  } catch (err) {
    if (err instanceof Refused) return { ok: false, code: 'image.host_refused', reason: err.message };
    let reason: string;
    if (options.signal?.aborted) reason = 'cancelled: the message is no longer wanted';
    else if (timer.aborted) {
      reason =
        budget < limits.timeoutMs
          ? `no complete answer before the message deadline (${Math.round(budget)} ms)`
          : `no complete answer within ${limits.timeoutMs} ms (intake.fetchTimeoutMs)`;
    } else reason = `request failed: ${(err as Error).message}`;
    return { ok: false, code: 'image.fetch_failed', reason };
  }
}
