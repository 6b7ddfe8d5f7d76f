// Escaping for the two chat markups the adapters write.

/** Every character Telegram MarkdownV2 reserves outside code spans, plus the backslash itself. */
const TELEGRAM_RESERVED = /[_*[\]()~`>#+\-=|{}.!\\]/g;

export function escapeTelegramMarkdownV2(text: string): string {
  return text.replace(TELEGRAM_RESERVED, (c) => `\\${c}`);
}

/**
 * Discord markdown: inline formatting, masked links ([text](url)) and <...> mentions. Line-start
 * syntax (#, >, -) needs no escape here because every reply line starts with a bold type label.
 */
const DISCORD_RESERVED = /[\\*_~`|[\]<@]/g;

export function escapeDiscordMarkdown(text: string): string {
  return text.replace(DISCORD_RESERVED, (c) => `\\${c}`);
}
