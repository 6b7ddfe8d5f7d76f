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
