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
}

/** Quadrilateral in pixel coordinates of the prepared (oriented, resized) image: TL, TR, BR, BL. */
export type Box = [[number, number], [number, number], [number, number], [number, number]];

export interface OcrLine {
  /** Index of the image in Message.images. */
  image: number;
  text: string;
  box: Box;
  score: number;
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
  language: LanguageCode;
  entities: Entity[];
  ocr: OcrLine[];
  captions: Caption[];
  /** Milliseconds spent per stage (intake, ocr, caption, knowledge, recognize, total). */
  timings: Record<string, number>;
  warnings: Warning[];
  /** Entities proposed by a recognizer that could not be aligned to any input and were dropped. */
  droppedEntities: number;
}
