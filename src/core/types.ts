// The data that flows through EKMM. Every stage speaks in these shapes.

export type LanguageCode = 'en' | 'zh';
export type LanguageSetting = LanguageCode | 'auto';

/** An image as the caller hands it over: raw bytes, a local file, or a URL to fetch. */
export type ImageInput =
  | { kind: 'bytes'; bytes: Uint8Array; name?: string }
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string };

export interface Message {
  text: string;
  images?: ImageInput[];
  language?: LanguageSetting;
  communityId?: string;
  channelId?: string;
  userId?: string;
  messageId?: string;
  /** What the platform already knows about the text (resolved mentions, marked spans). */
  hints?: MessageHints;
}

/** A platform mention the adapter resolved: `<@id>`/`<@!id>` (user), `<@&id>` (role), `<#id>` (channel). */
export interface MentionHint {
  kind: 'user' | 'role' | 'channel';
  id: string;
  /** Display name the tagger sees in place of the mention markup. */
  name: string;
}

/** A span of Message.text the platform marked (Telegram message entities), UTF-16 offsets. */
export interface SpanHint {
  kind: 'mention' | 'text_mention';
  start: number;
  end: number;
  /** The user's name, when the platform gives it (text_mention). */
  name?: string;
}

export interface MessageHints {
  mentions?: MentionHint[];
  spans?: SpanHint[];
}

export type EntitySource = 'text' | 'ocr' | 'caption';

export interface Entity {
  text: string;
  type: string;
  /** Offsets in UTF-16 code units into the message text, the OCR line, or the caption named by `source`. */
  start: number;
  end: number;
  source: EntitySource;
  /** Index into Recognition.ocr when source is 'ocr'. */
  ocrLine?: number;
  /** Index into Recognition.captions when source is 'caption'. */
  caption?: number;
  score?: number;
  /** Name of the recognizer backend that produced the entity. */
  backend: string;
  /**
   * OCR entities (read over a text block): every line the entity touches, in order, with offsets
   * into that line. The first span is always `ocrLine`/`start`/`end`; for a name wrapped over
   * lines `text` is the whole name, its parts joined by a space (by nothing in Chinese).
   */
  spans?: EntitySpan[];
  /**
   * The name as the tagger read it, when that differs from the raw `text` in a way a reader
   * wants to see: a resolved mention (`<@123>` -> "Angela Merkel"), a split hashtag
   * ("TaylorSwift" -> "Taylor Swift"), a re-cased ALL CAPS line.
   */
  display?: string;
}

export interface EntitySpan {
  ocrLine: number;
  start: number;
  end: number;
}

/** Quadrilateral in pixel coordinates of the prepared (oriented, resized) image: TL, TR, BR, BL. */
export type Box = [[number, number], [number, number], [number, number], [number, number]];

export interface OcrLine {
  /** Index of the image in Message.images. */
  image: number;
  text: string;
  box: Box;
  score: number;
  /** Language of this line (its own script, not the message's). Set by the engine. */
  language?: LanguageCode;
  /** Index into Recognition.ocrBlocks. Set by the engine. */
  block?: number;
}

/** OCR lines that read as one piece of text (a paragraph, a poster title), from their geometry. */
export interface OcrBlock {
  image: number;
  /** Indices into Recognition.ocr, in reading order. */
  lines: number[];
  language: LanguageCode;
}

export interface Caption {
  image: number;
  text: string;
  backend: string;
}

export interface Warning {
  /** Stable machine-readable code, e.g. `image.too_large`, `llm.timeout`. */
  code: string;
  message: string;
  stage: string;
  image?: number;
}

export interface Recognition {
  text: string;
  /** Language of the message text (OCR lines, blocks and captions carry their own). */
  language: LanguageCode;
  entities: Entity[];
  ocr: OcrLine[];
  /** OCR lines grouped into text blocks (entities are recognized over a block). */
  ocrBlocks?: OcrBlock[];
  captions: Caption[];
  /** Milliseconds spent per stage (intake, ocr, caption, knowledge, recognize, total). */
  timings: Record<string, number>;
  warnings: Warning[];
  /** Entities proposed by a recognizer that could not be aligned to any input and were dropped. */
  droppedEntities: number;
}
