// The recognition job as it travels through Redis: plain JSON, image bytes as base64. Paths do
// not travel (a worker may run on another machine); URLs do (the worker fetches them under its
// own intake.urlHosts). Decoding checks every field, so a malformed job fails with a reason that
// names the field instead of reaching the engine.
import type { ImageInput, LanguageSetting, Message, Recognition } from '../core/types.ts';
import type { CountAs, Recognized } from '../host/host.ts';

/** One recognition as serve hands it to the queue: the message and, when it is to be counted, whom to count it under. */
export interface RecognitionRequest {
  message: Message;
  countAs?: CountAs;
}

export const JOB_NAME = 'recognize';
const VERSION = 1;

type JobImage = { kind: 'bytes'; base64: string; name?: string } | { kind: 'url'; url: string };

export interface RecognitionJobData {
  v: typeof VERSION;
  countAs?: CountAs;
  message: {
    text: string;
    images?: JobImage[];
    language?: LanguageSetting;
    communityId?: string;
    channelId?: string;
    userId?: string;
    messageId?: string;
  };
}

export type RecognitionJobResult = Recognized;

export class JobDataError extends Error {
  override readonly name = 'JobDataError';
}

function encodeImage(image: ImageInput, index: number): JobImage {
  switch (image.kind) {
    case 'bytes':
      return {
        kind: 'bytes',
        base64: Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64'),
        ...(image.name ? { name: image.name } : {}),
      };
    case 'url':
      return { kind: 'url', url: image.url };
    case 'path':
      throw new JobDataError(`image ${index} is a local path; a worker may run on another machine, so pass its bytes instead`);
  }
}

export function encodeJob(request: RecognitionRequest): RecognitionJobData {
  const m = request.message;
  return {
    v: VERSION,
    ...(request.countAs ? { countAs: request.countAs } : {}),
    message: {
      text: m.text,
      ...(m.images?.length ? { images: m.images.map(encodeImage) } : {}),
      ...(m.language ? { language: m.language } : {}),
      ...(m.communityId ? { communityId: m.communityId } : {}),
      ...(m.channelId ? { channelId: m.channelId } : {}),
      ...(m.userId ? { userId: m.userId } : {}),
      ...(m.messageId ? { messageId: m.messageId } : {}),
    },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const LANGUAGES: readonly string[] = ['en', 'zh', 'auto'];

function optionalString(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new JobDataError(`${where}.${key} must be a string, got ${typeof v}`);
  return v;
}

function decodeImage(raw: unknown, index: number): ImageInput {
  const where = `job data message.images[${index}]`;
  if (!isRecord(raw)) throw new JobDataError(`${where} must be an object`);
  if (raw.kind === 'bytes') {
    if (typeof raw.base64 !== 'string') throw new JobDataError(`${where}.base64 must be a string`);
    const name = optionalString(raw, 'name', where);
    return { kind: 'bytes', bytes: Buffer.from(raw.base64, 'base64'), ...(name ? { name } : {}) };
  }
  if (raw.kind === 'url') {
    if (typeof raw.url !== 'string') throw new JobDataError(`${where}.url must be a string`);
    return { kind: 'url', url: raw.url };
  }
  throw new JobDataError(`${where}.kind must be "bytes" or "url", got ${JSON.stringify(raw.kind)}`);
}

export function decodeJob(data: unknown): RecognitionRequest {
  if (!isRecord(data)) throw new JobDataError('job data must be an object');
  if (data.v !== VERSION)
    throw new JobDataError(`job data version ${JSON.stringify(data.v)} is not supported (this worker reads version ${VERSION})`);
  const countAs = decodeCountAs(data.countAs);
  const m = data.message;
  if (!isRecord(m)) throw new JobDataError('job data message must be an object');
  if (typeof m.text !== 'string') throw new JobDataError('job data message.text must be a string');
  if (m.images !== undefined && !Array.isArray(m.images)) throw new JobDataError('job data message.images must be an array');
  const language = m.language;
  if (language !== undefined && (typeof language !== 'string' || !LANGUAGES.includes(language))) {
    throw new JobDataError(`job data message.language must be en, zh or auto, got ${JSON.stringify(language)}`);
  }
  const message: Message = { text: m.text };
  if (Array.isArray(m.images) && m.images.length) message.images = m.images.map(decodeImage);
  if (language !== undefined) message.language = language as LanguageSetting;
  for (const key of ['communityId', 'channelId', 'userId', 'messageId'] as const) {
    const v = optionalString(m, key, 'job data message');
    if (v !== undefined) message[key] = v;
  }
  return { message, ...(countAs ? { countAs } : {}) };
}

function decodeCountAs(raw: unknown): CountAs | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) throw new JobDataError('job data countAs must be an object');
  if (typeof raw.communityId !== 'string' || raw.communityId === '')
    throw new JobDataError('job data countAs.communityId must be a non-empty string');
  const channelId = optionalString(raw, 'channelId', 'job data countAs');
  const messageId = optionalString(raw, 'messageId', 'job data countAs');
  return { communityId: raw.communityId, ...(channelId ? { channelId } : {}), ...(messageId ? { messageId } : {}) };
}

/** The worker's return value, checked on the serve side before it reaches an adapter. */
export function decodeResult(raw: unknown, jobId: string | undefined): Recognized {
  const where = `job ${jobId ?? '?'} result`;
  if (!isRecord(raw)) throw new JobDataError(`${where} is not an object`);
  const r = raw.recognition;
  if (!isRecord(r) || typeof r.text !== 'string' || !Array.isArray(r.entities) || !Array.isArray(r.warnings)) {
    throw new JobDataError(`${where} has no valid recognition (text, entities, warnings)`);
  }
  if (typeof raw.counted !== 'number') throw new JobDataError(`${where}.counted must be a number`);
  return { recognition: r as unknown as Recognition, counted: raw.counted };
}
