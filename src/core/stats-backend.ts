// The contract between EntityStats (normalization, windows, presentation) and a statistics
// backend (where counts live). A backend increments inside the store, atomically per message,
// and skips a message whose id it has already counted: no read-modify-write in the process.
//
// Everything a backend receives is already normalized: `entity` is the folded form counts merge
// on, `surface` the form as written (for display), `day` a UTC YYYY-MM-DD, `channel` '' when the
// message had none.
//
// The contract lives in the core (the registry names StatsOpener); src/stats/ implements it.

/** Where a mention was read: the message text, an image's OCR text, or an image caption. */
export type MentionSource = 'text' | 'ocr' | 'caption';

/** Mentions migrated from the v1 layout carry no source. */
export type CountedSource = MentionSource | 'unknown';

export interface EntityKey {
  type: string;
  entity: string;
}

/** One message's contribution, aggregated per key. */
export interface MessageTally {
  communityId: string;
  day: string;
  channel: string;
  /** When set, the backend counts the message only once per community. */
  messageId?: string;
  entities: Array<EntityKey & { count: number }>;
  surfaces: Array<EntityKey & { surface: string; count: number }>;
  /** Mentions per type and source (image vs text share, per-channel breakdown). */
  mix: Array<{ type: string; source: CountedSource; count: number }>;
  /** Distinct entity pairs of the message, `a` sorting before `b`; each counts once. */
  pairs: Array<{ a: EntityKey; b: EntityKey }>;
}

/** Inclusive range of UTC days. */
export interface DayWindow {
  first: string;
  last: string;
}

export interface Slice {
  communityId: string;
  window: DayWindow;
  channel?: string;
  types?: string[];
}

export interface EntityCount extends EntityKey {
  count: number;
}

export interface RisingCount extends EntityCount {
  previous: number;
}

export interface PairCount {
  a: EntityKey;
  b: EntityKey;
  count: number;
}

export interface MixRow {
  channel: string;
  type: string;
  source: CountedSource;
  count: number;
}

export interface SeriesTarget {
  type?: string;
  entity: string;
}

export interface SeriesPoint extends EntityCount {
  day: string;
}

export interface SurfaceCount extends EntityKey {
  surface: string;
  count: number;
}

export interface RawRow extends EntityCount {
  day: string;
  channel: string;
}

export interface CommunitySummary {
  communityId: string;
  mentions: number;
  firstDay: string;
  lastDay: string;
}

export interface StatsBackend {
  readonly name: string;
  /** Applies each tally atomically; per tally, true when counted now, false when its message id was counted before. */
  apply(tallies: MessageTally[]): Promise<boolean[]>;
  /** The `limit` most counted entities of each type in the slice. */
  top(slice: Slice, limit: number): Promise<EntityCount[]>;
  /** Entities counted at least `minCount` times in the slice, with their count in [previousFirst, window.first). */
  rising(slice: Slice, previousFirst: string, minCount: number): Promise<RisingCount[]>;
  /** Daily counts of the given entities (days with no count are absent); without a type, every type. */
  series(slice: Slice, entities: SeriesTarget[]): Promise<SeriesPoint[]>;
  /** Most frequent pairs; with `types`, pairs with at least one side of those types. */
  pairs(slice: Slice, limit: number): Promise<PairCount[]>;
  /** Mentions per channel, type and source. */
  mix(slice: Slice): Promise<MixRow[]>;
  /** Surface forms of the given entities inside the window. */
  surfaces(communityId: string, window: DayWindow, entities: EntityKey[]): Promise<SurfaceCount[]>;
  /** Every count in the slice, per day and channel (the export). */
  rows(slice: Slice): Promise<RawRow[]>;
  communities(): Promise<CommunitySummary[]>;
  /** Deletes every count and dedupe record older than `firstKeptDay`; returns how many records went. */
  prune(firstKeptDay: string): Promise<number>;
  /** Deletes everything stored for the community; returns how many records went. */
  deleteCommunity(communityId: string): Promise<number>;
  close(): Promise<void>;
}

export interface StatsBackendOptions {
  retentionDays: number;
  /** Clock for the dedupe records' expiry; tests move it. */
  now: () => Date;
}

/** Registered per URL scheme in registries.stats. */
export type StatsOpener = (url: URL, options: StatsBackendOptions) => Promise<StatsBackend>;

export const FIELD_SEP = '\t';
