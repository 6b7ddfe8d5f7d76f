// Telegram side of watchlists: `/watch add|remove|list` (chat administrators), `/watch alerts
// on|off` (an administrator's choice: in a group for that group, in a private chat for every
// group they administer) and the AlertSink that sends each alert privately to the chat's
// administrators who opted in. Matching and the rate limit live in src/watch/.
import type { Telegraf } from 'telegraf';
import type { Message as TgMessage } from 'telegraf/types';
import type { EkmmConfig } from '../../src/config/schema.ts';
import {
  describeEntry,
  parseWatchInput,
  WatchInputError,
  type Alert,
  type AlertSink,
  type CommunityWatch,
  type WatchAlerts,
  type WatchEntry,
} from '../../src/watch/index.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { botLanguage, botTexts, type BotLanguage } from '../shared/bot-texts.ts';

export interface TelegramWatchDeps {
  bot: Telegraf;
  watch: WatchAlerts;
  config: EkmmConfig;
  log: Logger;
  call: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  communityId: (chatId: number | string) => string;
  isChatModerator: (msg: TgMessage) => Promise<boolean>;
  /** The chat's reply language (its /language setting, else the sender's Telegram language). */
  languageOf: (msg: TgMessage) => Promise<BotLanguage>;
  /** Plain text to a user's private chat; false on 403 (they never pressed Start). */
  sendPrivately: (userId: number, text: string, markdown: boolean) => Promise<boolean>;
  /** A plain-text answer to the command message (the adapter escapes it). */
  answer: (msg: TgMessage, text: string) => Promise<unknown>;
}

/** The command to run again once the administrator pressed Start (what they type, not prose). */
const ALERTS_ON_COMMAND = ['/watch', 'alerts', 'on'].join(' ');

/** A link to the message: public supergroups by username, private supergroups as t.me/c/<id>/<message>; none for basic groups. */
export function telegramMessageLink(chat: { id: number; username?: string }, messageId: string): string | undefined {
  if (chat.username) return `https://t.me/${chat.username}/${messageId}`;
  const id = String(chat.id);
  return id.startsWith('-100') ? `https://t.me/c/${id.slice(4)}/${messageId}` : undefined;
}

/** Registers /watch on the bot; returns the sink the host sends this platform's alerts to. */
export function registerTelegramWatch(deps: TelegramWatchDeps): AlertSink {
  const { bot, watch, config, call } = deps;
  const store = watch.watchlists;
  const types = config.entityTypes;

  /** The administrator's choice for this chat, else their choice for all their groups. */
  const effectiveChoice = async (current: CommunityWatch, userId: number) =>
    current.alertAdmins?.[String(userId)] ?? (await store.adminDefault(userId));

  bot.command('watch', async (ctx) => {
    const msg = ctx.message;
    const lang = await deps.languageOf(msg);
    const texts = botTexts(lang);
    const say = (text: string) => deps.answer(msg, text);
    const payload = ctx.payload.trim();
    const verb = (/^\S+/.exec(payload)?.[0] ?? '').toLowerCase();
    const rest = payload.slice(verb.length).trim();
    const isPrivate = msg.chat.type === 'private';

    if (verb === 'alerts') {
      const on = rest.toLowerCase();
      if (on !== 'on' && on !== 'off') return void (await say(texts.watchUsage('telegram', types)));
      const choice = { alerts: on === 'on', ...(msg.from.language_code ? { language: msg.from.language_code } : {}) };
      if (isPrivate) {
        await store.setAdminDefault(msg.from.id, choice);
        return void (await say(choice.alerts ? texts.watchTelegramAlertsOn('all') : texts.watchTelegramAlertsOff('all')));
      }
      if (!(await deps.isChatModerator(msg))) return void (await say(texts.watchTelegramAdminsOnly));
      await store.setAdminAlerts(deps.communityId(msg.chat.id), msg.from.id, choice);
      if (!choice.alerts) return void (await say(texts.watchTelegramAlertsOff('chat')));
      // Alerts come as private messages: check now that the bot may write to this administrator.
      const reached = await deps.sendPrivately(msg.from.id, texts.watchTelegramAlertsOn('chat'), false);
      await say(reached ? texts.watchTelegramAlertsOn('chat') : botTexts(lang).startPrivateChat(ctx.botInfo.username, ALERTS_ON_COMMAND));
      return;
    }
    if (isPrivate || !['add', 'remove', 'list'].includes(verb)) return void (await say(texts.watchUsage('telegram', types)));
    if (!(await deps.isChatModerator(msg))) return void (await say(texts.watchTelegramAdminsOnly));
    const communityId = deps.communityId(msg.chat.id);
    if (verb === 'list') {
      const current = await store.get(communityId);
      const admins = await call('getChatAdministrators', () => bot.telegram.getChatAdministrators(msg.chat.id));
      let alerted = 0;
      for (const a of admins) if (!a.user.is_bot && (await effectiveChoice(current, a.user.id))?.alerts) alerted++;
      return void (await say(texts.watchList(current.entries.map(describeEntry), texts.watchTelegramAlertsTo(alerted))));
    }
    let entry: WatchEntry;
    try {
      entry = parseWatchInput(rest, types);
    } catch (err) {
      if (err instanceof WatchInputError)
        return void (await say(`${texts.watchInputError(err.problem, err.detail, types)}\n${texts.watchUsage('telegram', types)}`));
      throw err;
    }
    const shown = describeEntry(entry);
    if (verb === 'add') {
      const r = await store.add(communityId, entry);
      await say(
        r.added
          ? texts.watchAdded(shown)
          : r.reason === 'present'
            ? texts.watchAlreadyWatched(shown)
            : texts.watchFull(config.watch.maxEntries),
      );
    } else {
      const r = await store.remove(communityId, entry);
      await say(r.removed ? texts.watchRemoved(shown) : texts.watchNotWatched(shown));
    }
  });

  return {
    async send(alert: Alert): Promise<void> {
      const chatId = alert.communityId.slice(alert.communityId.indexOf(':') + 1);
      if (!/^-\d+$/.test(chatId)) return; // private chats have no moderators to alert
      const [admins, chat, current] = await Promise.all([
        call('getChatAdministrators', () => bot.telegram.getChatAdministrators(chatId)),
        call('getChat', () => bot.telegram.getChat(chatId)),
        store.get(alert.communityId),
      ]);
      const title = 'title' in chat ? chat.title : chatId;
      const username = 'username' in chat ? chat.username : undefined;
      const link = alert.messageId
        ? telegramMessageLink({ id: Number(chatId), ...(username ? { username } : {}) }, alert.messageId)
        : undefined;
      // Only the administrators of this very chat, as Telegram lists them now: an alert never
      // reaches anyone outside the community it came from.
      for (const admin of admins) {
        if (admin.user.is_bot) continue;
        const choice = await effectiveChoice(current, admin.user.id);
        if (!choice?.alerts) continue;
        const text = botTexts(botLanguage(undefined, choice.language)).watchAlert({
          entity: alert.entity.text,
          type: alert.entity.type,
          where: `"${title}"`,
          fromImage: alert.fromImage,
          fromText: alert.fromText,
          ...(link ? { link } : {}),
        });
        if (!(await deps.sendPrivately(admin.user.id, text, false)))
          deps.log.info(
            { community: alert.communityId },
            'watch: an administrator who wants alerts has not started a private chat with the bot',
          );
      }
    },
  };
}
