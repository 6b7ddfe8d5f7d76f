// The one place that decides when two entity mentions are "the same" for statistics.

/**
 * NFKC, full-ish case folding, whitespace collapsed. JavaScript has no case-fold primitive;
 * upper-then-lower folds the cases toLowerCase alone misses (ß -> ss, final sigma, ligatures).
 */
export function normalizeEntityText(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** UTC calendar day as YYYY-MM-DD: days are the unit of retention and of windows. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function addDays(day: string, delta: number): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + delta);
  return utcDay(d);
}
