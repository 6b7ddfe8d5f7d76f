// Escaping for the two chat markups the adapters write.

/** Every character Telegram MarkdownV2 reserves outside code spans, plus the backslash itself. */
const TELEGRAM_RESERVED = /[_*[\]()~`>#+\-=|{}.!\\]/g;

export function escapeTelegramMarkdownV2(text: string): string {
  return text.replace(TELEGRAM_RESERVED, (c) => `\\${c}`);
}

/** Discord markdown: formatting characters, quotes/headings/lists at line start, and links. */
const DISCORD_RESERVED = /[\\*_~`|>#\-[\]()<:@]/g;

export function escapeDiscordMarkdown(text: string): string {
  return text.replace(DISCORD_RESERVED, (c) => `\\${c}`);
}
