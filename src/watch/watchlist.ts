// A community's watchlist: entities (matched on the folded key the statistics count on, so case
// and width variants of a name are one entry) or whole entity types. Kept in the key-value store
// beside the statistics (stats.url: SQLite or Redis), so a restart keeps it and removing the bot
// deletes it with the community's other data (adapters/shared/community-data.ts).
//
// Keys (the community id URI-encoded, so ids never collide with the separators):
//   watch:list:v1:<community>            the list and the community's alert settings
//   watch:sent:v1:<community>:<key>      last alert per entity (expires with the alert window)
//   watch:msg:v1:<community>:<message>   a message whose alerts were decided (expires after a day)
//   watch:tg-admin:v1:<user id>          a Telegram administrator's "alerts from all my groups" choice
import type { IterableStore, Store } from '../core/stages.ts';
import { isIterableStore } from '../core/stages.ts';
import { normalizeEntityText } from '../stats/normalize.ts';

const TYPE_RE = /^[A-Z][A-Z0-9_]*$/;
/** Longer names are not names: refused with a clear message rather than stored. */
export const MAX_ENTITY_CHARS = 200;

export type WatchEntry =
  /** `key` is the folded form matches use; `text` the form the moderator typed (shown back). */
  { kind: 'entity'; key: string; text: string } | { kind: 'type'; type: string };

export interface CommunityWatch {
  entries: WatchEntry[];
  /** Discord: the channel alerts go to (/ekmm-config alerts:#channel). */
  alertChannel?: string;
  /**
   * Telegram: administrators' per-chat choice (`/watch alerts on|off` in the group), by user id.
   * An explicit choice here wins over the administrator's private "all my groups" choice.
   */
  alertAdmins?: Record<string, AdminAlertChoice>;
}

export interface AdminAlertChoice {
  alerts: boolean;
  /** The administrator's Telegram interface language when they chose (alerts are written in it). */
  language?: string;
}

export type WatchInputProblem = 'empty' | 'too-long' | 'unknown-type';

/** Bad /watch input; `problem` lets each bot say it in the community's language. */
export class WatchInputError extends Error {
  override readonly name = 'WatchInputError';
  constructor(
    readonly problem: WatchInputProblem,
    message: string,
    /** The offending type (unknown-type) or the allowed length (too-long). */
    readonly detail = '',
  ) {
    super(message);
  }
}

const enc = encodeURIComponent;
export const watchKeys = {
  list: (communityId: string) => `watch:list:v1:${enc(communityId)}`,
  sentPrefix: (communityId: string) => `watch:sent:v1:${enc(communityId)}:`,
  sent: (communityId: string, entityKey: string) => `watch:sent:v1:${enc(communityId)}:${enc(entityKey)}`,
  messagePrefix: (communityId: string) => `watch:msg:v1:${enc(communityId)}:`,
  message: (communityId: string, messageId: string) => `watch:msg:v1:${enc(communityId)}:${enc(messageId)}`,
  telegramAdmin: (userId: number | string) => `watch:tg-admin:v1:${enc(String(userId))}`,
};

/**
 * What a moderator typed after `/watch add`: `type:PER` (a whole type; the type must be one of
 * `types`) or a name ("Taylor Swift"). Throws WatchInputError naming what is wrong.
 */
export function parseWatchInput(raw: string, types: readonly string[]): WatchEntry {
  const text = raw.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (!text) throw new WatchInputError('empty', 'say what to watch: a name (Taylor Swift) or a type (type:PER)');
  const typed = /^type\s*:\s*(\S+)$/i.exec(text);
  if (typed) return typeEntry(typed[1]!, types);
  return entityEntry(text);
}

export function typeEntry(raw: string, types: readonly string[]): WatchEntry {
  const type = raw.trim().toUpperCase();
  if (!TYPE_RE.test(type) || !types.includes(type))
    throw new WatchInputError(
      'unknown-type',
      `unknown entity type "${raw.slice(0, 20)}": use one of ${types.join(', ')}`,
      raw.slice(0, 20),
    );
  return { kind: 'type', type };
}

export function entityEntry(raw: string): WatchEntry {
  const text = raw.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (text.length > MAX_ENTITY_CHARS)
    throw new WatchInputError(
      'too-long',
      `a watched name may have at most ${MAX_ENTITY_CHARS} characters, got ${text.length}`,
      String(MAX_ENTITY_CHARS),
    );
  const key = normalizeEntityText(text);
  if (!key) throw new WatchInputError('empty', 'say what to watch: a name (Taylor Swift) or a type (type:PER)');
  return { kind: 'entity', key, text };
}

/** Two entries are the same when they watch the same folded name or the same type. */
export function sameEntry(a: WatchEntry, b: WatchEntry): boolean {
  return a.kind === 'entity' ? b.kind === 'entity' && a.key === b.key : b.kind === 'type' && a.type === b.type;
}

/** How an entry reads back to a moderator: the name as typed, or `type:PER`. */
export function describeEntry(e: WatchEntry): string {
  return e.kind === 'entity' ? e.text : `type:${e.type}`;
}

function adminChoice(v: unknown): AdminAlertChoice | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const c = v as Partial<AdminAlertChoice>;
  if (typeof c.alerts !== 'boolean') return undefined;
  return { alerts: c.alerts, ...(typeof c.language === 'string' ? { language: c.language } : {}) };
}

function isEntry(v: unknown): v is WatchEntry {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return (
    (e.kind === 'entity' && typeof e.key === 'string' && typeof e.text === 'string') || (e.kind === 'type' && typeof e.type === 'string')
  );
}

export interface WatchStoreOptions {
  maxEntries: number;
}

export type AddResult = { added: true; entries: WatchEntry[] } | { added: false; reason: 'present' | 'full'; entries: WatchEntry[] };

/**
 * Reads and writes watchlists. Every read goes to the store (no cache): a Discord shard process
 * and the web dashboard may edit one community's list from different processes.
 */
export class WatchStore {
  constructor(
    readonly store: Store,
    private readonly options: WatchStoreOptions = { maxEntries: 200 },
  ) {}

  async get(communityId: string): Promise<CommunityWatch> {
    const stored = await this.store.get<Partial<CommunityWatch>>(watchKeys.list(communityId));
    const watch: CommunityWatch = { entries: Array.isArray(stored?.entries) ? stored.entries.filter(isEntry) : [] };
    if (typeof stored?.alertChannel === 'string') watch.alertChannel = stored.alertChannel;
    if (stored?.alertAdmins && typeof stored.alertAdmins === 'object') {
      const admins: Record<string, AdminAlertChoice> = {};
      for (const [id, v] of Object.entries(stored.alertAdmins)) {
        const choice = adminChoice(v);
        if (choice) admins[id] = choice;
      }
      watch.alertAdmins = admins;
    }
    return watch;
  }

  async entries(communityId: string): Promise<WatchEntry[]> {
    return (await this.get(communityId)).entries;
  }

  async add(communityId: string, entry: WatchEntry): Promise<AddResult> {
    const watch = await this.get(communityId);
    if (watch.entries.some((e) => sameEntry(e, entry))) return { added: false, reason: 'present', entries: watch.entries };
    if (watch.entries.length >= this.options.maxEntries) return { added: false, reason: 'full', entries: watch.entries };
    watch.entries = [...watch.entries, entry];
    await this.put(communityId, watch);
    return { added: true, entries: watch.entries };
  }

  /** Removes the entry; false when it was not on the list. */
  async remove(communityId: string, entry: WatchEntry): Promise<{ removed: boolean; entries: WatchEntry[] }> {
    const watch = await this.get(communityId);
    const kept = watch.entries.filter((e) => !sameEntry(e, entry));
    if (kept.length === watch.entries.length) return { removed: false, entries: watch.entries };
    watch.entries = kept;
    await this.put(communityId, watch);
    return { removed: true, entries: kept };
  }

  async setAlertChannel(communityId: string, channelId: string): Promise<void> {
    const watch = await this.get(communityId);
    await this.put(communityId, { ...watch, alertChannel: channelId });
  }

  /** A Telegram administrator's choice for this one chat. */
  async setAdminAlerts(communityId: string, userId: number, choice: AdminAlertChoice): Promise<void> {
    const watch = await this.get(communityId);
    const admins = { ...watch.alertAdmins };
    // "Off" is the default: the user id is kept only while it means something (alerts on, or
    // off here overriding their "on" for all their groups).
    if (choice.alerts || (await this.adminDefault(userId))?.alerts) admins[String(userId)] = choice;
    else delete admins[String(userId)];
    await this.put(communityId, { ...watch, alertAdmins: admins });
  }

  /** A Telegram administrator's choice for every chat they administer (made in a private chat). */
  async setAdminDefault(userId: number, choice: AdminAlertChoice): Promise<void> {
    // Off is the default: the record (and the user id in it) goes.
    if (choice.alerts) {
      await this.store.set(watchKeys.telegramAdmin(userId), choice);
      return;
    }
    await this.store.delete(watchKeys.telegramAdmin(userId));
    // Per-chat "off" overrides meant something only against that "on": they go too.
    if (!isIterableStore(this.store)) return;
    const prefix = watchKeys.list('telegram:');
    const lists: string[] = [];
    for await (const [key] of this.store.iterate(prefix)) lists.push(decodeURIComponent(key.slice(watchKeys.list('').length)));
    for (const communityId of lists) {
      const watch = await this.get(communityId);
      const own = watch.alertAdmins?.[String(userId)];
      if (!own || own.alerts) continue;
      const admins = { ...watch.alertAdmins };
      delete admins[String(userId)];
      await this.put(communityId, { ...watch, alertAdmins: admins });
    }
  }

  async adminDefault(userId: number | string): Promise<AdminAlertChoice | undefined> {
    return adminChoice(await this.store.get(watchKeys.telegramAdmin(userId)));
  }

  /**
   * Deletes the community's watchlist and alert state (the rate-limit windows and the decided
   * messages); returns how many records went. Needs a store that lists keys for the latter.
   */
  async deleteCommunity(communityId: string): Promise<number> {
    let deleted = (await this.store.delete(watchKeys.list(communityId))) ? 1 : 0;
    if (isIterableStore(this.store)) deleted += await deletePrefixes(this.store, communityId);
    return deleted;
  }

  private async put(communityId: string, watch: CommunityWatch): Promise<void> {
    await this.store.set(watchKeys.list(communityId), watch);
  }
}

async function deletePrefixes(store: IterableStore, communityId: string): Promise<number> {
  let deleted = 0;
  for (const prefix of [watchKeys.sentPrefix(communityId), watchKeys.messagePrefix(communityId)]) {
    const keys: string[] = [];
    for await (const [key] of store.iterate(prefix)) keys.push(key);
    for (const key of keys) if (await store.delete(key)) deleted++;
  }
  return deleted;
}
