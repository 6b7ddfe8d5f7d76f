// Turns a POST /api/recognize body (JSON or multipart) into a Message, or a 400 that says
// exactly which field is wrong and how.
import type { ImageInput, LanguageSetting, Message } from '../../src/core/types.ts';
import { HttpError } from './http.ts';

const LANGUAGES: readonly LanguageSetting[] = ['en', 'zh', 'auto'];
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function badRequest(code: string, message: string): HttpError {
  return new HttpError(400, code, message);
}

function parseLanguage(value: unknown, field: string): LanguageSetting | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)) return value as LanguageSetting;
  throw badRequest('request.bad_language', `"${field}" must be one of ${LANGUAGES.join(', ')}; got ${JSON.stringify(value)}`);
}

function requireText(value: unknown, field: string, imageCount: number): string {
  if (value === undefined || value === null) {
    // A message may be an image alone; the text is then empty, not missing.
    if (imageCount > 0) return '';
    throw badRequest('request.missing_text', `"${field}" is required (a string; may be empty when images are sent)`);
  }
  if (typeof value !== 'string') throw badRequest('request.bad_text', `"${field}" must be a string; got ${typeof value}`);
  return value;
}

/** The optional integration fields: who sent the message where, and its id (for counting once). */
const ID_FIELDS = { community: 'communityId', channel: 'channelId', user: 'userId', id: 'messageId' } as const;
type IdField = keyof typeof ID_FIELDS;
const ID_MAX = 256;

function parseIdField(value: unknown, field: IdField): string | undefined {
  if (value === undefined || value === null) return undefined;
  // A numeric message id (as many platforms have) is accepted from JSON as its decimal text.
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string') throw badRequest('request.bad_field', `"${field}" must be a string; got ${typeof value}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (text.length === 0 || text.length > ID_MAX || /[\u0000-\u001f\u007f]/.test(text)) {
    throw badRequest('request.bad_field', `"${field}" must be 1 to ${ID_MAX} characters without control characters`);
  }
  return text;
}

/** Web messages are counted and limited under `web:<community>` / `web:<user>`, like a bot's under `telegram:<chat>`. */
function applyIdFields(message: Message, read: (field: IdField) => unknown): void {
  const community = parseIdField(read('community'), 'community');
  const channel = parseIdField(read('channel'), 'channel');
  const user = parseIdField(read('user'), 'user');
  const id = parseIdField(read('id'), 'id');
  if (community !== undefined) message.communityId = `web:${community}`;
  if (channel !== undefined) message.channelId = channel;
  if (user !== undefined) message.userId = `web:${user}`;
  if (id !== undefined) message.messageId = id;
}

/** The base64 text of an image field: a data: URL's payload, or the string itself. */
export function base64Payload(data: string): string {
  // Accept data: URLs as produced by FileReader.readAsDataURL.
  const comma = data.startsWith('data:') ? data.indexOf(',') : -1;
  return comma >= 0 ? data.slice(comma + 1) : data;
}

export function decodeBase64(data: string, field: string): Uint8Array {
  const raw = base64Payload(data).replace(/\s+/g, '');
  // The same code as an empty multipart file: a zero-byte image is refused the same way either way.
  if (raw.length === 0) throw emptyImage(field);
  if (!BASE64.test(raw)) throw badBase64(field);
  const bytes = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
  // Padding alone ("==") decodes to nothing: as empty as "".
  if (bytes.length === 0) throw emptyImage(field);
  return ownBytes(bytes);
}

/** The bytes in an ArrayBuffer of their own: a small Buffer is a view of node's shared pool, which later stages must not see. */
export function ownBytes(buffer: Buffer): Uint8Array {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? buffer : new Uint8Array(buffer);
}

export const emptyImage = (field: string): HttpError => badRequest('request.empty_image', `"${field}" is empty (zero bytes)`);
export const badBase64 = (field: string): HttpError => badRequest('request.bad_image', `"${field}" is not valid base64`);

function jsonImage(item: unknown, i: number): ImageInput {
  const field = `images[${i}]`;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw badRequest('request.bad_image', `"${field}" must be an object {data: base64, name?} or {url}`);
  }
  const { data, name, url } = item as Record<string, unknown>;
  if (name !== undefined && typeof name !== 'string') throw badRequest('request.bad_image', `"${field}.name" must be a string`);
  // Bytes already decoded while the body streamed in (json-body.ts); JSON itself cannot make a Uint8Array.
  if (typeof data === 'string' || data instanceof Uint8Array) {
    const bytes = typeof data === 'string' ? decodeBase64(data, `${field}.data`) : data;
    return name ? { kind: 'bytes', bytes, name } : { kind: 'bytes', bytes };
  }
  // URLs are fetched only from intake.urlHosts; the intake stage turns a refusal into a warning.
  if (typeof url === 'string' && url.length > 0) return { kind: 'url', url };
  throw badRequest('request.bad_image', `"${field}" needs "data" (base64 string) or "url"`);
}

export function messageFromJson(body: Buffer): Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest('request.bad_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
  return messageFromObject(parsed);
}

/** A parsed JSON body as a Message (images[i].data may already be bytes, see json-body.ts). */
export function messageFromObject(parsed: unknown): Message {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('request.bad_json', 'request body must be a JSON object {text, language?, images?}');
  }
  const obj = parsed as Record<string, unknown>;
  const known = new Set(['text', 'language', 'images', ...Object.keys(ID_FIELDS)]);
  const unknown = Object.keys(obj).filter((k) => !known.has(k));
  if (unknown.length) {
    throw badRequest(
      'request.unknown_field',
      `unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; expected text, language, images, community, channel, user, id`,
    );
  }
  if (obj.images !== undefined && !Array.isArray(obj.images)) {
    throw badRequest('request.bad_image', '"images" must be an array of {data: base64, name?}');
  }
  const images = ((obj.images as unknown[] | undefined) ?? []).map(jsonImage);
  const message: Message = { text: requireText(obj.text, 'text', images.length) };
  const language = parseLanguage(obj.language, 'language');
  if (language) message.language = language;
  if (images.length) message.images = images;
  applyIdFields(message, (field) => obj[field]);
  return message;
}

export async function messageFromMultipart(body: Buffer, contentType: string): Promise<Message> {
  let form: FormData;
  try {
    // undici's Request parses multipart/form-data; the body is already size-capped.
    form = await new Request('http://ekmm.local/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    }).formData();
  } catch (err) {
    throw badRequest('request.bad_multipart', `multipart body could not be parsed: ${(err as Error).message}`);
  }
  // As for JSON: a file under another field name (say "file") would otherwise be ignored without a word.
  const known = new Set(['text', 'language', 'image', 'images', ...Object.keys(ID_FIELDS)]);
  const unknown = [...new Set(form.keys())].filter((k) => !known.has(k));
  if (unknown.length) {
    throw badRequest(
      'request.unknown_field',
      `unknown multipart field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; expected text, language, image, community, channel, user, id`,
    );
  }
  const images: ImageInput[] = [];
  for (const field of ['image', 'images']) {
    for (const entry of form.getAll(field)) {
      if (typeof entry === 'string') {
        throw badRequest('request.bad_image', `multipart field "${field}" must be a file, not a text value`);
      }
      // Browsers send an empty, nameless part when the file input was left blank.
      if (entry.size === 0 && !entry.name) continue;
      if (entry.size === 0)
        throw badRequest('request.empty_image', `multipart field "${field}" file "${entry.name}" is empty (zero bytes)`);
      const bytes = new Uint8Array(await entry.arrayBuffer());
      images.push(entry.name ? { kind: 'bytes', bytes, name: entry.name } : { kind: 'bytes', bytes });
    }
  }
  const text = form.get('text');
  if (text !== null && typeof text !== 'string')
    throw badRequest('request.bad_text', 'multipart field "text" must be a text value, not a file');
  const message: Message = { text: requireText(text ?? undefined, 'text', images.length) };
  const language = form.get('language');
  const parsedLanguage = parseLanguage(typeof language === 'string' ? language : language === null ? undefined : 'a file', 'language');
  if (parsedLanguage) message.language = parsedLanguage;
  if (images.length) message.images = images;
  applyIdFields(message, (field) => {
    const value = form.get(field);
    if (value !== null && typeof value !== 'string')
      throw badRequest('request.bad_field', `multipart field "${field}" must be a text value, not a file`);
    return value;
  });
  return message;
}
