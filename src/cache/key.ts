// Content-addressed cache keys. Everything that changes an answer (kind of result, model id,
// template/prompt version, content) goes into the hash, so a result made by another model or
// another template is never served.
import { createHash } from 'node:crypto';

export interface CacheKeyParts {
  /** Model (or model files + settings) that produced the result. */
  model: string;
  /** Version of the prompt template / pre-processing; bump it when either changes. */
  templateVersion: string;
  /** sha256 of the input content (e.g. the original image bytes). */
  contentHash?: string;
  /** The exact prompt sent, when the result is a function of it. */
  prompt?: string;
  [extra: string]: string | number | boolean | undefined;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `<kind>:<sha256>`; the readable kind prefix lets a store be inspected or purged per kind. */
export function cacheKey(kind: string, parts: CacheKeyParts): string {
  if (!/^[a-z][a-z0-9_.-]*$/.test(kind)) throw new Error(`cache kind "${kind}" must be lower-case letters, digits, . _ -`);
  if (!parts.model) throw new Error(`cache key for ${kind}: model id is empty`);
  if (parts.contentHash === undefined && parts.prompt === undefined) {
    throw new Error(`cache key for ${kind}: needs contentHash or prompt`);
  }
  const canonical = Object.keys(parts)
    .filter((k) => parts[k] !== undefined)
    .sort()
    .map((k) => [k, parts[k]]);
  return `${kind}:${sha256Hex(JSON.stringify([kind, canonical]))}`;
}
