// Turns a Recognition into the reply the chat user sees: entities grouped by type, each listed
// once, the ones read from an image marked with 🖼.
import type { Entity } from '../../src/core/types.ts';
import { normalizeEntityText } from '../../src/stats/normalize.ts';
import type { Refusal } from '../../src/host/index.ts';
import type { TopEntry } from '../../src/stats/entity-stats.ts';
import { escapeDiscordMarkdown, escapeTelegramMarkdownV2 } from './markdown.ts';
import { botTexts, type BotLanguage } from './bot-texts.ts';

export const IMAGE_MARK = '🖼';

export interface ReplyItem {
  text: string;
  inImage: boolean;
}

export interface ReplyGroup {
  type: string;
  items: ReplyItem[];
}

/** Groups in the configured type order (unknown types after, alphabetically); duplicates merged. */
export function groupEntities(entities: Entity[], typeOrder: string[]): ReplyGroup[] {
  const groups = new Map<string, Map<string, ReplyItem>>();
  for (const e of entities) {
    // A resolved mention or split hashtag is listed by the name the tagger read.
    const name = e.display ?? e.text;
    const key = normalizeEntityText(name);
    if (!key) continue;
    const items = groups.get(e.type) ?? new Map<string, ReplyItem>();
    groups.set(e.type, items);
    const fromImage = e.source === 'ocr' || e.source === 'caption';
    const seen = items.get(key);
    if (seen) seen.inImage ||= fromImage;
    else items.set(key, { text: name.replace(/\s+/g, ' ').trim(), inImage: fromImage });
  }
  const rank = (t: string) => {
    const i = typeOrder.indexOf(t);
    return i === -1 ? typeOrder.length : i;
  };
  return [...groups]
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
    .map(([type, items]) => ({ type, items: [...items.values()] }));
}

interface Markup {
  escape(text: string): string;
  bold(text: string): string;
  maxLength: number;
}

const TELEGRAM: Markup = { escape: escapeTelegramMarkdownV2, bold: (t) => `*${t}*`, maxLength: 4096 };
const DISCORD: Markup = { escape: escapeDiscordMarkdown, bold: (t) => `**${t}**`, maxLength: 2000 };

function render(groups: ReplyGroup[], m: Markup, language: BotLanguage): string {
  const texts = botTexts(language);
  if (groups.length === 0) return m.escape(texts.noEntities);
  const lines: string[] = [];
  let used = 0;
  let omitted = 0;
  for (const g of groups) {
    const items = g.items.map((i) => m.escape(i.text) + (i.inImage ? ` ${IMAGE_MARK}` : ''));
    const line = `${m.bold(m.escape(g.type))}: ${items.join(', ')}`;
    // Stay under the platform's message limit with room for the "more" note.
    if (used + line.length + 1 > m.maxLength - 64) {
      omitted += g.items.length;
      continue;
    }
    lines.push(line);
    used += line.length + 1;
  }
  if (omitted > 0) lines.push(m.escape(texts.moreOmitted(omitted)));
  return lines.join('\n');
}

/** The /stats entries: the surface form (most frequent spelling) a moderator reads, and the count. */
export type TopEntries = Record<string, Pick<TopEntry, 'label' | 'count'>[]>;

/**
 * Top entities per type as reply lines, e.g. "PER: Barack Obama (12), Angela Merkel (3)": each by
 * its most frequent surface form (`label`), as the dashboard shows it; counting still merged the
 * case and width variants under one folded key.
 */
function renderTop(top: TopEntries, heading: string, m: Markup, language: BotLanguage): string {
  const lines = [m.bold(m.escape(heading))];
  const types = Object.keys(top);
  if (types.length === 0) lines.push(m.escape(botTexts(language).statsEmpty));
  let used = lines[0]!.length;
  for (const type of types) {
    const items = top[type]!.map((e) => m.escape(`${e.label} (${e.count})`));
    const line = `${m.bold(m.escape(type))}: ${items.join(', ')}`;
    // Whole lines only: cutting inside one could leave an unclosed bold marker.
    if (used + line.length + 1 > m.maxLength) break;
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join('\n');
}

export function formatTelegramTop(top: TopEntries, heading: string, language: BotLanguage): string {
  return renderTop(top, heading, TELEGRAM, language);
}

export function formatDiscordTop(top: TopEntries, heading: string, language: BotLanguage): string {
  return renderTop(top, heading, DISCORD, language);
}

export function formatTelegramReply(groups: ReplyGroup[], language: BotLanguage): string {
  return render(groups, TELEGRAM, language);
}

export function formatDiscordReply(groups: ReplyGroup[], language: BotLanguage): string {
  return render(groups, DISCORD, language);
}

/** What a refused user is told (once a minute at most; see Guards.notify), plain (not escaped). */
export function refusalText(reason: Refusal, retryAfterMs: number, language: BotLanguage): string {
  return botTexts(language).refusal(reason, Math.max(1, Math.ceil(retryAfterMs / 1000)));
}
