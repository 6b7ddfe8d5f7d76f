// Per-chat settings chosen by administrators with /mode and /language, kept beside the statistics
// (the app's settings store) so they survive restarts. Key: telegram:chat:v1:<chat id>.
import type { Store } from '../../src/core/stages.ts';
import type { LanguageSetting } from '../../src/core/types.ts';
import { isGuildMode, isLanguageSetting, type GuildMode } from '../discord/settings.ts';

/** The same three modes as Discord: mention (reply when mentioned or replied to), auto (reply to messages with entities), passive (count only). */
export type ChatMode = GuildMode;
export const isChatMode = isGuildMode;

export interface ChatSettings {
  mode: ChatMode;
  /**
   * What administrators chose with /language: the recognition language and the replies' language.
   * Unset: recognition follows the config's `language`, replies the sender's Telegram language.
   */
  language?: LanguageSetting;
}

export function chatSettingsKey(chatId: number | string): string {
  return `telegram:chat:v1:${encodeURIComponent(String(chatId))}`;
}

type SettingsKv = Pick<Store, 'get' | 'set'>;

/** Without the app's store (an adapter started alone, as some tests do) settings live in this process only. */
function processLocalKv(): SettingsKv {
  const map = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => map.get(key) as T | undefined,
    set: async <T>(key: string, value: T) => void map.set(key, value),
  };
}

export class ChatSettingsStore {
  private readonly cache = new Map<string, ChatSettings>();
  private readonly kv: SettingsKv;

  constructor(
    store: SettingsKv | undefined,
    private readonly defaults: ChatSettings,
  ) {
    this.kv = store ?? processLocalKv();
  }

  async get(chatId: number): Promise<ChatSettings> {
    const key = chatSettingsKey(chatId);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const stored = await this.kv.get<Partial<ChatSettings>>(key);
    const settings: ChatSettings = {
      mode: isChatMode(stored?.mode) ? stored.mode : this.defaults.mode,
      ...(isLanguageSetting(stored?.language) ? { language: stored.language } : {}),
    };
    this.cache.set(key, settings);
    return settings;
  }

  async setMode(chatId: number, mode: ChatMode): Promise<ChatSettings> {
    return this.update(chatId, { mode });
  }

  async setLanguage(chatId: number, language: LanguageSetting): Promise<ChatSettings> {
    return this.update(chatId, { language });
  }

  private async update(chatId: number, change: Partial<ChatSettings>): Promise<ChatSettings> {
    const next = { ...(await this.get(chatId)), ...change };
    await this.kv.set(chatSettingsKey(chatId), next);
    this.cache.set(chatSettingsKey(chatId), next);
    return next;
  }

  /** Drops a chat from the cache after its stored settings were deleted (the bot was removed). */
  forget(chatId: number): void {
    this.cache.delete(chatSettingsKey(chatId));
  }
}
