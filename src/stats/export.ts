// CSV (RFC 4180) and JSON renderings of statistic rows.
import type { StatRow } from './entity-stats.ts';

const CSV_COLUMNS = ['day', 'channel', 'type', 'entity', 'count'] as const;

function csvCell(value: string | number): string {
  let s = String(value);
  // A cell starting with = + - @ is run as a formula by spreadsheets; a leading quote keeps it text.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function rowsToCsv(rows: StatRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function rowsToJson(communityId: string, rows: StatRow[]): string {
  return JSON.stringify({ community: communityId, rows }, null, 2);
}
