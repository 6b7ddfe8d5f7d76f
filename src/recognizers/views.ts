// What a recognizer reads of one message, input by input: the text, each OCR text block, each
// caption, each with its own language and its chat markup normalised, and the way from a span
// of what was read back to an Entity on the original input (text offsets, or every OCR line the
// span touches).
import type { RecognizerInput } from '../core/stages.ts';
import type { Entity, EntitySource, EntitySpan, LanguageCode, OcrBlock, OcrLine } from '../core/types.ts';
import { languageOf } from '../core/language.ts';
import { blockText, groupLines } from '../core/ocr-blocks.ts';
import { normalizeChatText, type MarkupRule } from '../text/chat-markup.ts';
import { MappedText } from '../text/offset-map.ts';

export interface ViewOptions {
  /** Normalise chat markup (hashtags, mentions, emoji, elongation, ALL CAPS) before tagging. */
  markup: boolean;
  /** Which markup rules apply (default: all). */
  markupRules?: readonly MarkupRule[];
  /** Read OCR lines block by block (false: line by line). */
  blocks: boolean;
  tagOcr: boolean;
  tagCaptions: boolean;
}

export interface TaggingView {
  source: EntitySource;
  language: LanguageCode;
  /** `mapped.raw` is the input's text (for a block: its lines joined by '\n'); `mapped.view` is read. */
  mapped: MappedText;
  caption?: number;
  /** OCR views: the lines of the block, and where each starts in `mapped.raw`. */
  lines?: { indices: number[]; starts: number[] };
}

/** OCR blocks of the input: those the engine grouped, else grouped here (or one per line). */
export function blocksOf(input: RecognizerInput, grouped: boolean): OcrBlock[] {
  if (!grouped) return input.ocr.map((l, i) => ({ image: l.image, lines: [i], language: l.language ?? languageOf(l.text) }));
  return input.ocrBlocks ?? groupLines(input.ocr);
}

export function buildViews(input: RecognizerInput, options: ViewOptions): TaggingView[] {
  const read = (text: string, withHints: boolean) =>
    options.markup
      ? normalizeChatText(text, {
          ...(withHints && input.hints ? { hints: input.hints } : {}),
          ...(options.markupRules ? { rules: options.markupRules } : {}),
        })
      : MappedText.identity(text);
  const views: TaggingView[] = [{ source: 'text', language: input.language, mapped: read(input.text, true) }];
  if (options.tagOcr) {
    for (const block of blocksOf(input, options.blocks)) {
      const { text, starts } = blockText(block, input.ocr);
      views.push({ source: 'ocr', language: block.language, mapped: read(text, false), lines: { indices: block.lines, starts } });
    }
  }
  if (options.tagCaptions) {
    input.captions.forEach((c, n) =>
      views.push({ source: 'caption', language: languageOf(c.text), mapped: read(c.text, false), caption: n }),
    );
  }
  return views;
}

const tidy = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The entity for view units [start, end) of `view`, on the original input. */
export function entityFromView(
  view: TaggingView,
  start: number,
  end: number,
  type: string,
  backend: string,
  ocr: readonly OcrLine[],
): Entity | undefined {
  if (view.mapped.cutsWhole(start, end)) return undefined;
  const raw = view.mapped.toRaw(start, end);
  if (raw.start >= raw.end) return undefined;
  const shown = view.mapped.showsView(start, end) ? tidy(view.mapped.view.slice(start, end)) : undefined;
  if (!view.lines) {
    const entity: Entity = {
      text: view.mapped.raw.slice(raw.start, raw.end),
      type,
      start: raw.start,
      end: raw.end,
      source: view.source,
      backend,
    };
    if (view.caption !== undefined) entity.caption = view.caption;
    if (shown && shown !== entity.text) entity.display = shown;
    return entity;
  }
  const spans: EntitySpan[] = [];
  view.lines.indices.forEach((ocrLine, k) => {
    const lineStart = view.lines!.starts[k]!;
    const lineEnd = lineStart + ocr[ocrLine]!.text.length;
    const s = Math.max(raw.start, lineStart);
    const e = Math.min(raw.end, lineEnd);
    if (s < e && view.mapped.raw.slice(s, e).trim()) spans.push({ ocrLine, start: s - lineStart, end: e - lineStart });
  });
  const first = spans[0];
  if (!first) return undefined;
  // A name wrapped over lines reads as one: its parts joined by a space (nothing in Chinese).
  const joiner = view.language === 'zh' ? '' : ' ';
  const text = spans.map((sp) => ocr[sp.ocrLine]!.text.slice(sp.start, sp.end)).join(joiner);
  const entity: Entity = { text, type, start: first.start, end: first.end, source: 'ocr', ocrLine: first.ocrLine, backend, spans };
  if (shown && shown !== text) entity.display = shown;
  return entity;
}
