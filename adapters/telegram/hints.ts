// Telegram's message entities as core MessageHints: `mention` (@username) and `text_mention`
// (a user without a username, named by the sender's text) spans, UTF-16 offsets as Telegram
// gives them (the same units JavaScript strings use). Captions carry caption_entities.
import type { Message as TgMessage, MessageEntity } from 'telegraf/types';
import type { MessageHints, SpanHint } from '../../src/core/types.ts';

function entitiesOf(msg: TgMessage): MessageEntity[] {
  if ('text' in msg) return msg.entities ?? [];
  if ('caption' in msg && msg.caption) return msg.caption_entities ?? [];
  return [];
}

export function telegramHints(msg: TgMessage): MessageHints | undefined {
  const spans: SpanHint[] = [];
  for (const e of entitiesOf(msg)) {
    const span = { start: e.offset, end: e.offset + e.length };
    if (e.type === 'mention') spans.push({ kind: 'mention', ...span });
    else if (e.type === 'text_mention') {
      const name = [e.user.first_name, e.user.last_name].filter(Boolean).join(' ');
      spans.push({ kind: 'text_mention', ...span, ...(name ? { name } : {}) });
    }
  }
  return spans.length ? { spans } : undefined;
}

/** The bot's own @username mentions in the message: Telegram marks them as `mention` entities. */
function botMentionSpans(text: string, entities: MessageEntity[], botUsername: string): { start: number; end: number }[] {
  const handle = `@${botUsername.toLowerCase()}`;
  return entities
    .filter((e) => e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === handle)
    .map((e) => ({ start: e.offset, end: e.offset + e.length }))
    .sort((a, b) => a.start - b.start);
}

/**
 * The text and hints recognition gets: the message with the bot's own @username taken out (as
 * Discord's adapter takes out its <@id>: naming the bot is addressing it, not talking about it).
 * Each removal is exact, no replacement character, so every span after it moves left by the
 * removed length (UTF-16 units, like Telegram's offsets); a span overlapping a removed mention
 * is dropped.
 */
export function telegramInput(msg: TgMessage, text: string, botUsername: string): { text: string; hints?: MessageHints } {
  const hints = telegramHints(msg);
  const removed = botMentionSpans(text, entitiesOf(msg), botUsername);
  if (removed.length === 0) return hints ? { text, hints } : { text };
  let kept = '';
  let at = 0;
  for (const r of removed) {
    kept += text.slice(at, r.start);
    at = r.end;
  }
  kept += text.slice(at);
  const shift = (offset: number) => removed.reduce((by, r) => (r.end <= offset ? by + (r.end - r.start) : by), 0);
  const spans = (hints?.spans ?? [])
    .filter((s) => !removed.some((r) => s.start < r.end && r.start < s.end))
    .map((s) => ({ ...s, start: s.start - shift(s.start), end: s.end - shift(s.start) }));
  const rest: MessageHints = { ...hints, ...(spans.length ? { spans } : {}) };
  if (!spans.length) delete rest.spans;
  return Object.keys(rest).length ? { text: kept, hints: rest } : { text: kept };
}
