// Per-guild settings chosen by moderators with /ekmm-config, kept in the statistics store so
// they survive restarts. Key: discord:guild:v1:<guild id>.
import type { Store } from '../../src/core/stages.ts';
import type { LanguageSetting } from '../../src/core/types.ts';

export type GuildMode = 'mention' | 'auto' | 'passive';

export interface GuildSettings {
  mode: GuildMode;
  /** Channels where the bot reads messages; empty means none until a moderator enables one. */
  channels: string[];
  language: LanguageSetting;
}

const MODES: GuildMode[] = ['mention', 'auto', 'passive'];
const LANGUAGES: LanguageSetting[] = ['auto', 'en', 'zh'];

export function isGuildMode(v: unknown): v is GuildMode {
  return typeof v === 'string' && (MODES as string[]).includes(v);
}

export function isLanguageSetting(v: unknown): v is LanguageSetting {
  return typeof v === 'string' && (LANGUAGES as string[]).includes(v);
}

/** Where a guild's settings are kept (also used to delete them with the guild's other data). */
export function guildSettingsKey(guildId: string): string {
  return `discord:guild:v1:${encodeURIComponent(guildId)}`;
}

export class GuildSettingsStore {
  private readonly cache = new Map<string, GuildSettings>();
  /** The language a moderator chose, per guild (undefined: none; `language` is then the config default). */
  private readonly chosen = new Map<string, LanguageSetting | undefined>();

  constructor(
    private readonly store: Store,
    private readonly defaults: GuildSettings,
  ) {}

  private key(guildId: string): string {
    return guildSettingsKey(guildId);
  }

  async get(guildId: string): Promise<GuildSettings> {
    const hit = this.cache.get(guildId);
    if (hit) return hit;
    const stored = await this.store.get<Partial<GuildSettings>>(this.key(guildId));
    const settings: GuildSettings = {
      mode: isGuildMode(stored?.mode) ? stored.mode : this.defaults.mode,
      channels: Array.isArray(stored?.channels)
        ? stored.channels.filter((c): c is string => typeof c === 'string')
        : [...this.defaults.channels],
      language: isLanguageSetting(stored?.language) ? stored.language : this.defaults.language,
    };
    this.cache.set(guildId, settings);
    this.chosen.set(guildId, isLanguageSetting(stored?.language) ? stored.language : undefined);
    return settings;
  }

  /**
   * Changes and stores a guild's settings. The language is stored only once a moderator chose one
   * (`languageChosen`, or chosen before): a default stored by a mode change would otherwise
   * outrank the guild's locale for the replies from then on.
   */
  async update(
    guildId: string,
    change: (s: GuildSettings) => GuildSettings,
    opts: { languageChosen?: boolean } = {},
  ): Promise<GuildSettings> {
    const next = change({ ...(await this.get(guildId)) });
    next.channels = [...new Set(next.channels)].sort();
    const chosen = opts.languageChosen || this.chosen.get(guildId) !== undefined ? next.language : undefined;
    const { language: _default, ...withoutLanguage } = next;
    await this.store.set(this.key(guildId), chosen === undefined ? withoutLanguage : next);
    this.cache.set(guildId, next);
    this.chosen.set(guildId, chosen);
    return next;
  }

  /** The language a moderator chose with /ekmm-config, if any (the bot's fixed texts then follow it, not the guild locale). */
  async chosenLanguage(guildId: string): Promise<LanguageSetting | undefined> {
    await this.get(guildId);
    return this.chosen.get(guildId);
  }

  /** Drops a guild from the cache after its stored settings were deleted (the bot was removed). */
  forget(guildId: string): void {
    this.cache.delete(guildId);
    this.chosen.delete(guildId);
  }
}
