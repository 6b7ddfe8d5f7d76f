// Reads a JSON body of POST /api/recognize as it streams in, so that (issue 8):
// - a body whose parts other than image data grow past what any text-only message can need is
//   refused with a 413 at once, after a few KB, not after the whole body is read and parsed (a
//   1 MB text cost ~3 ms of event loop each for toString + JSON.parse, measured with --cpu-prof);
// - image data is never parsed by JSON.parse nor copied into one big JS string: the scanner notes
//   where each images[i].data string lies in the body, JSON.parse gets the small rest, and the
//   base64 is decoded straight from the body in 1 MiB slices with a yield to the event loop after
//   each. A 7 MB upload held the loop ~90 ms in one piece (toString, JSON.parse, two regexes over
//   the string, Buffer.from); the probe of bench/abuse.ts waited behind several of them.
// Hand-written because no streaming JSON parser is a dependency and the general ones build every
// string value in JS (the very cost avoided here); this scanner only tracks structure, and skips
// string contents with Buffer.indexOf. Anything it does not understand falls back to JSON.parse of
// the whole body, so errors are worded as before (message.ts).
import type { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Message } from '../../src/core/types.ts';
import { HttpError } from './http.ts';
import { decodeBase64, emptyImage, messageFromJson, messageFromObject, ownBytes } from './message.ts';

/** A JSON string escape (\uXXXX) is at most 6 bytes per UTF-16 code unit. */
const BYTES_PER_CHAR = 6;
/** Room for everything else a text-only body may carry: the id fields (256 characters each), language, URLs of images, keys, whitespace. */
const OTHER_FIELDS_BYTES = 64 * 1024;
/** Base64 characters decoded per slice before the event loop gets a turn (a multiple of 4). */
const SLICE_CHARS = 1024 * 1024;
const BASE64_SLICE = /^[A-Za-z0-9+/_-]*$/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The most bytes a JSON body may hold besides image data: the longest text the API accepts, every
 * character escaped, plus the other fields. A body larger than this must carry images (the guard
 * sends it to the image lane); one whose non-image bytes pass it is refused while it streams in.
 */
export function textOnlyBodyBytes(maxTextChars: number): number {
  return maxTextChars * BYTES_PER_CHAR + OTHER_FIELDS_BYTES;
}

export interface JsonBodyLimits {
  /** server.maxBodyBytes */
  maxBodyBytes: number;
  /** limits.textChars.api */
  maxTextChars: number;
}

type Role = 'top' | 'images' | 'image' | 'other';
interface Frame {
  kind: 'object' | 'array';
  role: Role;
  /** The key whose value comes next (objects), or the index of the next item (arrays). */
  key: string | undefined;
  index: number;
  /** Objects: whether the next string is a key. */
  expectKey: boolean;
}

/** Where one images[i].data string lies in the body (between its quotes). */
interface DataRange {
  index: number;
  start: number;
  end: number;
}

/** An over-limit body, found while it streams in. */
export class BodyRefused extends HttpError {}

/** What the JSON body parser hands the recognition route: the message, its images already decoded. */
export class JsonMessage {
  constructor(readonly message: Message) {}
}

/**
 * An incremental structural scan of a JSON object body: nesting, the top-level keys, and where
 * each string starts and ends. Strings are skipped with indexOf, so the cost per byte of image
 * data is that of a native memchr. It never refuses valid JSON; on anything else it gives up
 * (`lost`), and the caller parses the whole body the old way for the error message.
 */
class JsonScanner {
  lost = false;
  readonly data: DataRange[] = [];
  /** Bytes inside images[i].data strings, including one still open. */
  dataBytes = 0;
  textBytes = 0;
  private pos = 0;
  private readonly stack: Frame[] = [];
  private started = false;
  /** An open string: where it began (after the quote), whether it had escapes, what it is. */
  private string: { start: number; escaped: boolean; what: 'key' | 'text' | 'data' | 'other'; index: number } | undefined;

  /** Scans body[pos, length). */
  scan(whole: Buffer, length: number): void {
    // A view that ends at what has arrived, so indexOf never looks past it.
    const body = whole.subarray(0, length);
    while (!this.lost && this.pos < length) {
      if (this.string) {
        if (!this.scanString(body, length)) return;
        continue;
      }
      const c = body[this.pos]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        this.pos++;
        continue;
      }
      const frame = this.stack.at(-1);
      if (!this.started) {
        // Only an object body is scanned; anything else is parsed whole (and refused by message.ts).
        if (c !== 0x7b) return this.loseTrack();
        this.started = true;
        this.stack.push({ kind: 'object', role: 'top', key: undefined, index: 0, expectKey: true });
        this.pos++;
        continue;
      }
      if (!frame) return this.loseTrack(); // bytes after the closing brace
      if (c === QUOTE) {
        const what = frame.kind === 'object' && frame.expectKey ? 'key' : this.valueRole(frame);
        this.string = { start: this.pos + 1, escaped: false, what, index: this.imageIndex() };
        this.pos++;
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        const role = this.containerRole(frame, c === 0x5b);
        this.stack.push({ kind: c === 0x7b ? 'object' : 'array', role, key: undefined, index: 0, expectKey: c === 0x7b });
        this.pos++;
        continue;
      }
      if (c === 0x7d || c === 0x5d) {
        this.stack.pop();
        this.pos++;
        continue;
      }
      if (c === 0x3a) {
        // ':' between a key and its value
        this.pos++;
        continue;
      }
      if (c === 0x2c) {
        if (frame.kind === 'object') {
          frame.expectKey = true;
          frame.key = undefined;
        } else frame.index++;
        this.pos++;
        continue;
      }
      // A number, true, false or null: skip to the next delimiter.
      this.pos++;
    }
  }

  /** Bytes of the body so far that are not image data. */
  otherBytes(received: number): number {
    return received - this.dataBytes - (this.string?.what === 'data' ? received - this.string.start : 0);
  }

  /** The length so far of the top-level "text" string, whether closed or still open. */
  openTextBytes(received: number): number {
    return this.string?.what === 'text' ? received - this.string.start : this.textBytes;
  }

  private loseTrack(): void {
    this.lost = true;
    this.string = undefined;
  }

  /** The index of the image object being scanned (its array is one level up). */
  private imageIndex(): number {
    return this.stack.at(-2)?.index ?? 0;
  }

  private valueRole(frame: Frame): 'text' | 'data' | 'other' {
    if (frame.kind === 'object' && frame.role === 'top' && frame.key === 'text') return 'text';
    if (frame.kind === 'object' && frame.role === 'image' && frame.key === 'data') return 'data';
    return 'other';
  }

  private containerRole(frame: Frame, array: boolean): Role {
    if (array && frame.kind === 'object' && frame.role === 'top' && frame.key === 'images') return 'images';
    if (!array && frame.kind === 'array' && frame.role === 'images') return 'image';
    return 'other';
  }

  /** Advances through an open string; true when it closed. */
  private scanString(body: Buffer, length: number): boolean {
    const s = this.string!;
    for (;;) {
      const quote = body.indexOf(QUOTE, this.pos);
      const end = quote === -1 ? length : quote;
      const slash = body.indexOf(BACKSLASH, this.pos);
      if (slash !== -1 && slash < end) {
        s.escaped = true;
        if (slash + 1 >= length) {
          this.pos = slash; // the escaped character has not arrived yet
          return false;
        }
        this.pos = slash + 2;
        continue;
      }
      if (end === length) {
        this.pos = length;
        return false;
      }
      this.closeString(body, s, quote);
      this.pos = quote + 1;
      this.string = undefined;
      return true;
    }
  }

  private closeString(body: Buffer, s: NonNullable<JsonScanner['string']>, quote: number): void {
    const frame = this.stack.at(-1)!;
    if (s.what === 'key') {
      const raw = body.toString('utf8', s.start - 1, quote + 1);
      frame.key = s.escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      frame.expectKey = false;
      return;
    }
    if (s.what === 'text') this.textBytes = quote - s.start;
    // Escaped data (say "\/") is rare from real encoders: it stays in the JSON for JSON.parse.
    if (s.what === 'data' && !s.escaped) {
      this.data.push({ index: s.index, start: s.start, end: quote });
      this.dataBytes += quote - s.start;
    }
  }
}

/**
 * Reads a JSON recognition body from `stream` and turns it into a Message, refusing it with a 413
 * as soon as it is over a limit (the reply closes the connection, so the rest is never read).
 */
export async function readJsonMessage(stream: Readable, declaredLength: number | undefined, limits: JsonBodyLimits): Promise<Message> {
  const scanner = new JsonScanner();
  const body = await readScanned(stream, declaredLength, limits, scanner);
  return scanner.lost || scanner.data.length === 0 ? messageFromJson(body) : assemble(body, scanner.data);
}

function refused(code: string, message: string): BodyRefused {
  return new BodyRefused(413, code, message, { connection: 'close' });
}

/** Reads a body whole, up to server.maxBodyBytes (the routes that are not recognition). */
export function readBody(stream: Readable, declaredLength: number | undefined, maxBodyBytes: number): Promise<Buffer> {
  return readScanned(stream, declaredLength, { maxBodyBytes, maxTextChars: Number.POSITIVE_INFINITY });
}

function readScanned(stream: Readable, declaredLength: number | undefined, limits: JsonBodyLimits, scanner?: JsonScanner): Promise<Buffer> {
  const maxText = limits.maxTextChars * BYTES_PER_CHAR;
  const maxOther = textOnlyBodyBytes(limits.maxTextChars);
  return new Promise<Buffer>((resolve, reject) => {
    // One buffer of its own, sized from Content-Length: no list of chunks to concatenate (twice the memory) at the end.
    let body = Buffer.allocUnsafeSlow(Math.max(1, Math.min(declaredLength ?? 64 * 1024, limits.maxBodyBytes)));
    let received = 0;
    const stop = (err: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      // Paused, not destroyed: the 413 still goes out on this socket, which then closes.
      stream.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      if (received + chunk.length > limits.maxBodyBytes) {
        return stop(
          refused(
            'body.too_large',
            `request body exceeds the limit of ${limits.maxBodyBytes} bytes (server.maxBodyBytes); send fewer or smaller images`,
          ),
        );
      }
      if (received + chunk.length > body.length) {
        const grown = Buffer.allocUnsafeSlow(Math.min(Math.max(body.length * 2, received + chunk.length), limits.maxBodyBytes));
        body.copy(grown, 0, 0, received);
        body = grown;
      }
      chunk.copy(body, received);
      received += chunk.length;
      if (!scanner) return;
      scanner.scan(body, received);
      if (scanner.lost) return;
      if (scanner.openTextBytes(received) > maxText) {
        return stop(
          refused(
            'request.text_too_long',
            `"text" has more than ${limits.maxTextChars} characters (over ${maxText} bytes of JSON); at most ${limits.maxTextChars} are accepted (limits.textChars.api)`,
          ),
        );
      }
      if (scanner.otherBytes(received) > maxOther) {
        return stop(
          refused(
            'body.too_large',
            `request body has more than ${maxOther} bytes besides image data; a text is at most ${limits.maxTextChars} characters (limits.textChars.api)`,
          ),
        );
      }
    };
    let ended = false;
    const onEnd = () => {
      ended = true;
      resolve(body.subarray(0, received));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
    // A client gone mid-body may close the stream without 'end' or 'error': let go of the buffer.
    stream.once('close', () => {
      if (!ended) reject(new HttpError(400, 'request.incomplete', 'the request body ended before its end (the client went away)'));
    });
  });
}

/** JSON.parse of the body without its image data strings, then each image decoded from the body itself. */
async function assemble(body: Buffer, data: DataRange[]): Promise<Message> {
  const parts: Buffer[] = [];
  let at = 0;
  for (const range of data) {
    // Cut between the quotes: the string becomes "" in what JSON.parse sees.
    parts.push(body.subarray(at, range.start));
    at = range.end;
  }
  parts.push(body.subarray(at));
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    return messageFromJson(body); // its error names what is wrong
  }
  const images = (parsed as { images?: unknown }).images;
  for (const range of data) {
    const item = Array.isArray(images) ? (images[range.index] as Record<string, unknown> | undefined) : undefined;
    // Repeated keys can leave a range without its place (JSON.parse keeps the last one): parse the old way.
    if (typeof item !== 'object' || item === null || item.data !== '') return messageFromJson(body);
    item.data = await decodeRange(body, range, `images[${range.index}].data`);
  }
  return messageFromObject(parsed);
}

/** Decodes base64 (or a data: URL) straight from the body, a slice at a time, yielding between slices. */
async function decodeRange(body: Buffer, range: DataRange, field: string): Promise<Uint8Array> {
  let start = range.start;
  const whole = () => body.toString('latin1', range.start, range.end);
  if (body.toString('latin1', start, Math.min(start + 5, range.end)) === 'data:') {
    const comma = body.indexOf(0x2c, start);
    if (comma === -1 || comma >= range.end) return decodeBase64(whole(), field);
    start = comma + 1;
  }
  let stop = range.end;
  for (let pad = 0; pad < 2 && stop > start && body[stop - 1] === 0x3d; pad++) stop--;
  // Nothing, or padding alone: no bytes (as message.ts says for either).
  if (stop === start) throw emptyImage(field);
  const out = Buffer.allocUnsafeSlow(Math.floor(((stop - start) * 3) / 4));
  let written = 0;
  for (let at = start; at < stop; at += SLICE_CHARS) {
    const text = body.toString('latin1', at, Math.min(at + SLICE_CHARS, stop));
    // Whitespace or a stray character: the string path gives the same answer (and error) as before.
    if (!BASE64_SLICE.test(text)) return decodeBase64(whole(), field);
    written += out.write(text, written, 'base64');
    if (at + SLICE_CHARS < stop) await yieldToLoop();
  }
  return written === out.length ? out : ownBytes(Buffer.from(out.subarray(0, written)));
}
