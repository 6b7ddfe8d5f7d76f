// Aligned blocks of days, for stores that pre-aggregate counts per window (the Redis backend).
//
// A count for day d is written into one block of every span: the block of span s that holds d
// starts on the day number (days since 1970-01-01) rounded down to a multiple of s. A query window
// is then covered exactly, each day once, by the largest blocks that lie wholly inside it, so a
// 90-day window reads 9 to 17 pre-summed sets instead of 90 daily ones. Spans grow by 4; each
// span costs one more increment per count and, for entity pairs (mostly distinct), nearly as
// much memory again as the daily sets: a 64-day span measured 280 MB more for 1M mentions
// (bench/stats.ts) to shorten a 90-day cover by a few sets less than half the time, so it is left out.
import type { DayWindow } from '../core/stats-backend.ts';

/** Block lengths in days, smallest first; span 1 is the day itself. */
export const BLOCK_SPANS = [1, 4, 16] as const;

export interface DayBlock {
  /** Length in days. */
  span: number;
  /** First day, YYYY-MM-DD. */
  start: string;
}

const DAY_MS = 86_400_000;

export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

export function dayOfNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** The block of each span that holds `day` (one per span, smallest first). */
export function blocksContaining(day: string): DayBlock[] {
  const n = dayNumber(day);
  return BLOCK_SPANS.map((span) => ({ span, start: dayOfNumber(n - (((n % span) + span) % span)) }));
}

/** The last day of a block. */
export function blockLast(block: DayBlock): string {
  return dayOfNumber(dayNumber(block.start) + block.span - 1);
}

/**
 * Blocks that cover the window exactly (every day once, nothing outside it), in day order: from
 * the first day, the largest span that starts there (aligned) and ends inside the window.
 */
export function coverWindow(window: DayWindow): DayBlock[] {
  const last = dayNumber(window.last);
  const out: DayBlock[] = [];
  for (let n = dayNumber(window.first); n <= last; ) {
    let span = 1;
    for (const s of BLOCK_SPANS) if (n % s === 0 && n + s - 1 <= last) span = s;
    out.push({ span, start: dayOfNumber(n) });
    n += span;
  }
  return out;
}
