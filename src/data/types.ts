// In-memory shapes shared by every dataset reader and writer.

export type DataFormat = 'twitter' | 'cmner' | 'conll' | 'jsonl';

export interface Post {
  /** IMGID (twitter), WID (cmner), the JSONL `id`, or the 1-based post number for plain CoNLL. */
  id: string;
  tokens: string[];
  tags: string[];
  format: DataFormat;
  /** 1-based line of the post's first line (its id line when the format has one). */
  line: number;
  /** CoNLL middle columns (between token and tag), one array per token; kept so writers round-trip. */
  columns?: string[][];
}

/** What a reader needs to write the file back byte for byte. */
export interface Layout {
  eol: '\n' | '\r\n';
  /** Blank lines after each post (same length as posts). */
  gaps: number[];
  /** Whether the last line ends with an end-of-line sequence. */
  finalEol: boolean;
  /** Column separator of token lines. */
  separator: string;
}

export interface DataIssue {
  file: string;
  /** 1-based line number; 0 when the issue concerns the whole file. */
  line: number;
  message: string;
}

export interface Dataset {
  file: string;
  format: DataFormat;
  posts: Post[];
  layout: Layout;
  /** Problems found while reading; readDataset throws instead unless `allowIssues` is set. */
  issues: DataIssue[];
}

export class DataFormatError extends Error {
  readonly issues: DataIssue[];
  constructor(issues: DataIssue[], limit = 20) {
    const shown = issues.slice(0, limit).map((i) => `${i.file}:${i.line}: ${i.message}`);
    const more = issues.length > limit ? [`... and ${issues.length - limit} more`] : [];
    super([`${issues.length} data format issue(s):`, ...shown, ...more].join('\n'));
    this.name = 'DataFormatError';
    this.issues = issues;
  }
}
