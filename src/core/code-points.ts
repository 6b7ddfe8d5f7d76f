// UTF-16 offsets that come from outside (a platform's entity offsets) may fall inside a
// surrogate pair. Core and the text rewriters both snap such spans; the helper lives here, in
// the core, so that the core needs nothing from the outer layers.

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Widens [start, end) so that it splits no surrogate pair (offsets from outside may). */
export function snapToCodePoints(text: string, start: number, end: number): { start: number; end: number } {
  const splits = (i: number) => i > 0 && i < text.length && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1));
  return { start: splits(start) ? start - 1 : start, end: splits(end) ? end + 1 : end };
}
