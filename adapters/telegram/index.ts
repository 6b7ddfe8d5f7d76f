// Telegram adapter (telegraf): text, photos (largest size), image documents and captions go to
// the core; the bot replies to the message in MarkdownV2. /stats shows the chat's top entities to
// chat administrators. Long polling by default, a webhook when telegram.mode says so.
import { randomBytes } from 'node:crypto';
import { Telegraf, TelegramError } from 'telegraf';
import type { Message as TgMessage } from 'telegraf/types';
import type { EkmmConfig } from '../../src/config/schema.ts';
import type { ImageInput } from '../../src/core/types.ts';
import type { Store } from '../../src/core/stages.ts';
import { ChatSettingsStore, isChatMode } from './settings.ts';
import { isLanguageSetting } from '../discord/settings.ts';
import { deleteCommunityData } from '../shared/community-data.ts';
import { fetchImage } from '../../src/intake/fetch.ts';
import { ImageNotes, notesApply } from '../shared/image-notes.ts';
import type { EntityStats } from '../../src/stats/entity-stats.ts';
import type { Host, MessageProcessor, Outcome } from '../../src/host/index.ts';
import { registerSecret, type Logger } from '../../src/observability/logger.ts';
import { formatTelegramReply, formatTelegramTop, groupEntities, refusalText } from '../../adapters/shared/reply-format.ts';
import { withHints } from '../../src/host/processor.ts';
import { telegramInput } from './hints.ts';
import { registerTelegramWatch } from './watch.ts';
import { escapeTelegramMarkdownV2 } from '../../adapters/shared/markdown.ts';
import { BOT_LANGUAGES, botLanguage, botTexts, type BotLanguage, type TelegramCommand } from '../../adapters/shared/bot-texts.ts';
import { dashboardLinkFor } from '../../src/stats/dashboard-token.ts';
import { isTransientNetworkError, withRetry, type RetryDecision } from '../../adapters/shared/retry.ts';

export interface TelegramOptions {
  /** Bot token; defaults to the env var named by telegram.tokenEnv. */
  token?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides telegram.apiRoot (tests point it at the emulator). */
  apiRoot?: string;
  /** Days /stats looks back when the moderator does not say. */
  statsDays?: number;
  /** Interface and port the webhook server listens on (default: all interfaces, telegram.webhook.port). */
  webhookHost?: string;
  webhookPort?: number;
  /** Defaults to the host's logger; lines carry adapter: "telegram". */
  logger?: Logger;
  /** Where chat modes (/mode) are kept; the app passes its settings store. Without one they last only as long as the process. */
  settingsStore?: Store;
}

export interface TelegramAdapter {
  readonly processor: MessageProcessor;
  readonly stats: EntityStats;
  readonly botUsername: string;
  stop(): Promise<void>;
}

const DEFAULT_API_ROOT = 'https://api.telegram.org';

/**
 * The Bot API's own download limit: getFile refuses larger files ("Bad Request: file is too big",
 * 20 << 20 bytes in telegram-bot-api), whatever intake.maxBytes allows. A self-hosted Bot API
 * server in --local mode has no such limit and simply does not refuse.
 */
export const TELEGRAM_GETFILE_MAX_BYTES = 20 * 1024 * 1024;

function isFileTooBig(err: unknown): boolean {
  return err instanceof TelegramError && err.code === 400 && /file is too big/i.test(err.description);
}

const COMMANDS: TelegramCommand[] = ['stats', 'help', 'mode', 'language', 'dashboard', 'watch'];

export function telegramCommunityId(chatId: number | string): string {
  return `telegram:${chatId}`;
}

function classifyTelegramError(err: unknown): RetryDecision {
  if (err instanceof TelegramError) {
    if (err.code === 429) return { retry: true, afterMs: (err.parameters?.retry_after ?? 1) * 1000 };
    return err.code >= 500 ? { retry: true } : { retry: false };
  }
  return isTransientNetworkError(err) ? { retry: true } : { retry: false };
}

interface ImageRef {
  fileId: string;
  size?: number;
  name: string;
}

/** Photos: the largest size; documents: only those that say they are images. */
function imageRefs(msg: TgMessage): ImageRef[] {
  if ('photo' in msg && msg.photo.length) {
    const largest = [...msg.photo].sort((a, b) => b.width * b.height - a.width * a.height)[0]!;
    return [{ fileId: largest.file_id, ...(largest.file_size ? { size: largest.file_size } : {}), name: `${largest.file_unique_id}.jpg` }];
  }
  if ('document' in msg && msg.document.mime_type?.startsWith('image/')) {
    const d = msg.document;
    return [{ fileId: d.file_id, ...(d.file_size ? { size: d.file_size } : {}), name: d.file_name ?? d.file_unique_id }];
  }
  return [];
}

/** The message names the bot (@username mention) or replies to one of its messages. */
function addressesBot(msg: TgMessage, me: { id: number; username: string }): boolean {
  if ('reply_to_message' in msg && msg.reply_to_message?.from?.id === me.id) return true;
  const text = messageText(msg);
  const entities = 'text' in msg ? msg.entities : 'caption' in msg ? msg.caption_entities : undefined;
  return (entities ?? []).some(
    (e) => e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === `@${me.username.toLowerCase()}`,
  );
}

function messageText(msg: TgMessage): string {
  if ('text' in msg) return msg.text;
  if ('caption' in msg && msg.caption) return msg.caption;
  return '';
}

/** Starts the bot on the shared host: its processor (guards, queue, executor) and its statistics. */
export async function startTelegram(host: Host, config: EkmmConfig, opts: TelegramOptions = {}): Promise<TelegramAdapter> {
  const env = opts.env ?? process.env;
  const tokenEnv = config.telegram.tokenEnv;
  const token = opts.token ?? env[tokenEnv];
  if (!token) throw new Error(`Telegram bot token missing: set the environment variable ${tokenEnv} (telegram.tokenEnv)`);
  // node-fetch errors quote the request URL, which holds the token (/bot<token>/getMe): the
  // logger censors the registered token in every line, and errors thrown here are redacted too.
  registerSecret(token);
  const redact = (line: string) => line.split(token).join('<token>');
  const log = (opts.logger ?? host.logger).child({ adapter: 'telegram' });
  const apiRoot = opts.apiRoot ?? config.telegram.apiRoot ?? DEFAULT_API_ROOT;
  // host:port: the image allow-list matches the port too (the default port when the root names none).
  const apiHost = new URL(apiRoot).host;

  if (!host.stats) throw new Error('Telegram adapter: the host has no statistics store (the bot counts entities and answers /stats)');
  const stats = host.stats;
  const processor = host.processor;
  const statsDays = opts.statsDays ?? 7;
  // Groups default to auto, what the bot did before modes existed: reply to messages with entities.
  const chatSettings = new ChatSettingsStore(opts.settingsStore, { mode: 'auto' });

  // Replies must not wait behind the 90 s default: a queued message may wait longer in a flood.
  const bot = new Telegraf(token, { telegram: { apiRoot, webhookReply: false }, handlerTimeout: 10 * 60_000 });
  const call = <T>(what: string, fn: () => Promise<T>) => withRetry(what, fn, { classify: classifyTelegramError, logger: log });

  // Connected = the last Bot API call (getUpdates included: telegraf's poller goes through
  // callApi) reached the API. A network failure marks the adapter down until a call gets through
  // again; telegraf's poller keeps retrying by itself.
  const status = host.adapterStatus('telegram');
  const callApi = bot.telegram.callApi.bind(bot.telegram);
  bot.telegram.callApi = (async (...args: Parameters<typeof callApi>) => {
    try {
      const result = await callApi(...args);
      if (!status.connected) {
        status.up();
        log.info('telegram Bot API reachable');
      }
      return result;
    } catch (err) {
      if (!(err instanceof TelegramError) && isTransientNetworkError(err) && (err as Error).name !== 'AbortError') {
        if (status.connected) log.warn({ error: (err as Error).message }, 'telegram Bot API unreachable');
        status.down(`Bot API unreachable: ${(err as Error).message}`);
      }
      throw err;
    }
  }) as typeof callApi;
  status.probeWhileDown(async () => {
    await bot.telegram.getMe();
  });

  const reply = (chatId: number, replyTo: number, text: string) =>
    call('sendMessage', () =>
      bot.telegram.sendMessage(chatId, text, {
        parse_mode: 'MarkdownV2',
        reply_parameters: { message_id: replyTo, allow_sending_without_reply: true },
      }),
    );

  /** `refused` counts the images the Bot API would not hand out for their size (see TELEGRAM_GETFILE_MAX_BYTES); `notes` the ones whose download failed otherwise. */
  const downloadImages = async (refs: ImageRef[], refused: { tooBig: number }, notes: ImageNotes): Promise<ImageInput[]> => {
    const out: ImageInput[] = [];
    for (const ref of refs) {
      if (ref.size !== undefined && ref.size > config.intake.maxBytes) {
        log.warn(`telegram image ${ref.name} skipped: ${ref.size} bytes exceeds intake.maxBytes`);
        continue;
      }
      try {
        const link = await call('getFile', () => bot.telegram.getFileLink(ref.fileId));
        // The link embeds the bot token: it is used here and never logged or passed on.
        const got = await fetchImage(link.href, {
          allowedHosts: [apiHost],
          maxBytes: config.intake.maxBytes,
          timeoutMs: config.intake.fetchTimeoutMs,
          // The link is built from the operator's own telegram.apiRoot, never from user input, and a
          // self-hosted Bot API server usually listens on a private or loopback address.
          allowPrivate: true,
          listName: 'telegram.apiRoot',
        });
        if (got.ok) out.push({ kind: 'bytes', bytes: got.bytes, name: ref.name });
        else {
          notes.failed++;
          log.warn(`telegram image ${ref.name} not downloaded: ${got.code}`);
        }
      } catch (err) {
        if (isFileTooBig(err)) refused.tooBig++;
        else notes.failed++;
        log.warn(`telegram image ${ref.name} not downloaded: ${err instanceof TelegramError ? err.description : (err as Error).name}`);
      }
    }
    return out;
  };

  /** `notes`: the images not read (too large, past the limit, failed); `limit`: the smallest size limit they exceeded. */
  const answer = async (msg: TgMessage, outcome: Outcome, notes: ImageNotes, limit: number, language: BotLanguage): Promise<void> => {
    const texts = botTexts(language);
    const isPrivate = msg.chat.type === 'private';
    // A message holding only images we did not read (too large, past the limit, or a failed
    // download) is "empty" to the processor: it is still answered.
    if (notesApply(notes, outcome)) {
      // An image we did not read must not look like "nothing found": say why.
      const note = escapeTelegramMarkdownV2(notes.text(texts, limit));
      const found = outcome.kind === 'recognized' ? groupEntities(outcome.recognition.entities, config.entityTypes) : [];
      await reply(msg.chat.id, msg.message_id, found.length ? `${formatTelegramReply(found, language)}\n${note}` : note);
      return;
    }
    switch (outcome.kind) {
      case 'dismissed':
        return;
      case 'refused':
        if (outcome.notify)
          await reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(refusalText(outcome.reason, outcome.retryAfterMs, language)));
        return;
      case 'failed':
        if (isPrivate) await reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(texts.failed));
        return;
      case 'recognized': {
        const groups = groupEntities(outcome.recognition.entities, config.entityTypes);
        // In groups only messages with entities get a reply: "nothing found" under every message is noise.
        if (groups.length === 0 && !isPrivate) return;
        await reply(msg.chat.id, msg.message_id, formatTelegramReply(groups, language));
      }
    }
  };

  /** The chat's reply language: what administrators chose with /language, else the sender's Telegram language. */
  const languageOf = async (msg: TgMessage): Promise<BotLanguage> =>
    botLanguage((await chatSettings.get(msg.chat.id)).language, msg.from?.language_code);

  const isChatModerator = async (msg: TgMessage): Promise<boolean> => {
    if (msg.chat.type === 'private') return true;
    if (!msg.from) return false;
    const admins = await call('getChatAdministrators', () => bot.telegram.getChatAdministrators(msg.chat.id));
    return admins.some((a) => a.user.id === msg.from!.id);
  };

  /**
   * Sends `text` to the sender's private chat. False when Telegram refuses (403: the user never
   * pressed Start in a private chat with the bot, which Telegram requires before a bot may write).
   */
  const sendPrivately = async (userId: number, text: string, markdown: boolean): Promise<boolean> => {
    try {
      await call('sendMessage', () =>
        bot.telegram.sendMessage(userId, text, {
          ...(markdown ? { parse_mode: 'MarkdownV2' as const } : {}),
          link_preview_options: { is_disabled: true },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof TelegramError && err.code === 403) return false;
      throw err;
    }
  };

  // /stats in a group: the answer goes to the administrator's private chat (statistics are for
  // moderators, not the whole group); in a private chat it is that chat's own statistics.
  bot.command('stats', async (ctx) => {
    const msg = ctx.message;
    const language = await languageOf(msg);
    const texts = botTexts(language);
    if (!(await isChatModerator(msg))) {
      await reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(texts.statsModeratorsOnly('telegram')));
      return;
    }
    const arg = ctx.payload.trim();
    const days = /^\d+$/.test(arg) ? Math.min(Math.max(Number(arg), 1), config.stats.retentionDays) : statsDays;
    const top = await stats.top({ communityId: telegramCommunityId(msg.chat.id), days, limit: 10 });
    if (msg.chat.type === 'private') {
      await reply(msg.chat.id, msg.message_id, formatTelegramTop(top, texts.statsHeading({ days }), language));
      return;
    }
    const heading = texts.statsHeading({ days, community: msg.chat.title });
    const sent = await sendPrivately(msg.from.id, formatTelegramTop(top, heading, language), true);
    const note = sent ? texts.statsSentPrivately : texts.startPrivateChat(ctx.botInfo.username, '/stats');
    await reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(note));
  });

  // /dashboard in a group: the link (a signed token for this chat) goes to the administrator's
  // private chat only, never into the group and never into a log line.
  bot.command('dashboard', async (ctx) => {
    const msg = ctx.message;
    const texts = botTexts(await languageOf(msg));
    const say = (text: string) => reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(text));
    if (msg.chat.type === 'private') return void (await say(texts.dashboardInGroup));
    if (!(await isChatModerator(msg))) return void (await say(texts.dashboardModeratorsOnly));
    const { url, expiresAt } = dashboardLinkFor(config, telegramCommunityId(msg.chat.id), { env });
    const sent = await sendPrivately(msg.from.id, texts.dashboardLink(msg.chat.title, url, expiresAt), false);
    await say(sent ? texts.dashboardSentPrivately : texts.startPrivateChat(ctx.botInfo.username, '/dashboard'));
  });

  // Watchlists: /watch and the alerts the host hands this adapter (adapters/telegram/watch.ts).
  const unregisterSink = host.watch
    ? host.watch.registerSink(
        'telegram',
        registerTelegramWatch({
          bot,
          watch: host.watch,
          config,
          log,
          call,
          communityId: telegramCommunityId,
          isChatModerator,
          sendPrivately,
          languageOf,
          answer: (msg, text) => reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(text)),
        }),
      )
    : undefined;

  bot.command('mode', async (ctx) => {
    const msg = ctx.message;
    const texts = botTexts(await languageOf(msg));
    const say = (text: string) => reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(text));
    if (msg.chat.type === 'private') return void (await say(texts.modeInPrivate));
    if (!(await isChatModerator(msg))) return void (await say(texts.modeAdminsOnly));
    const wanted = ctx.payload.trim().toLowerCase();
    if (!wanted) return void (await say(texts.modeCurrent((await chatSettings.get(msg.chat.id)).mode)));
    if (!isChatMode(wanted)) return void (await say(texts.modeUnknown(wanted)));
    await chatSettings.setMode(msg.chat.id, wanted);
    await say(texts.modeSet(wanted));
  });

  // /language en|zh|auto: the chat's recognition language and the language of its replies. auto
  // (or never set): recognition detects the language, replies follow the sender's Telegram language.
  // In a private chat the user is its only administrator.
  bot.command('language', async (ctx) => {
    const msg = ctx.message;
    const say = async (text: (language: BotLanguage) => string) =>
      reply(msg.chat.id, msg.message_id, escapeTelegramMarkdownV2(text(await languageOf(msg))));
    if (!(await isChatModerator(msg))) return void (await say((l) => botTexts(l).languageAdminsOnly));
    const wanted = ctx.payload.trim().toLowerCase();
    if (!wanted) {
      const setting = (await chatSettings.get(msg.chat.id)).language ?? 'auto';
      return void (await say((l) => botTexts(l).languageCurrent(setting, l)));
    }
    if (!isLanguageSetting(wanted)) return void (await say((l) => botTexts(l).languageUnknown(wanted)));
    await chatSettings.setLanguage(msg.chat.id, wanted);
    // Answered in the new language, so the administrator sees the change take effect.
    await say((l) => botTexts(l).languageSet(wanted, l));
  });

  bot.help(async (ctx) => {
    const text = botTexts(await languageOf(ctx.message)).help({ platform: 'telegram', retentionDays: config.stats.retentionDays });
    await reply(ctx.chat.id, ctx.message.message_id, escapeTelegramMarkdownV2(text));
  });

  // Removed from a chat (left or kicked): that chat's statistics are deleted at once.
  bot.on('my_chat_member', async (ctx) => {
    const status = ctx.myChatMember.new_chat_member.status;
    if (status !== 'left' && status !== 'kicked') return;
    const communityId = telegramCommunityId(ctx.myChatMember.chat.id);
    const chatId = ctx.myChatMember.chat.id;
    const deleted = opts.settingsStore
      ? await deleteCommunityData(stats, opts.settingsStore, communityId)
      : { records: await stats.deleteCommunity(communityId), settings: 0 };
    chatSettings.forget(chatId);
    log.info(
      { communityId, ...deleted },
      `telegram chat ${ctx.myChatMember.chat.id} removed the bot (${status}): its statistics and settings were deleted`,
    );
  });

  bot.start(async (ctx) => {
    await reply(ctx.chat.id, ctx.message.message_id, escapeTelegramMarkdownV2(botTexts(await languageOf(ctx.message)).start));
  });

  bot.on('message', async (ctx) => {
    const msg = ctx.message;
    const text = messageText(msg);
    // Commands meant for other bots (or unknown ones) are not messages to recognize.
    if (text.startsWith('/') && 'entities' in msg && msg.entities?.[0]?.type === 'bot_command' && msg.entities[0].offset === 0) return;
    const notes = new ImageNotes(config.limits.imagesPerMessage);
    // Images past limits.imagesPerMessage are never downloaded.
    const refs = notes.take(imageRefs(msg));
    const chat = await chatSettings.get(msg.chat.id);
    const mode = msg.chat.type === 'private' ? 'auto' : chat.mode;
    // mention mode: only messages that name the bot (@username) or reply to it are read.
    if (mode === 'mention' && !addressesBot(msg, ctx.botInfo)) return;
    const input = telegramInput(msg, text, ctx.botInfo.username);
    const refused = { tooBig: 0 };
    const outcome = await processor.process({
      fromBot: !msg.from || msg.from.is_bot || msg.from.id === ctx.botInfo.id,
      userId: `telegram:${msg.from?.id ?? 'unknown'}`,
      communityId: telegramCommunityId(msg.chat.id),
      ...(msg.is_topic_message && msg.message_thread_id ? { channelId: String(msg.message_thread_id) } : {}),
      messageId: String(msg.message_id),
      text: input.text,
      imageCount: refs.length,
      loadImages: () => downloadImages(refs, refused, notes),
      ...(chat.language ? { language: chat.language } : {}),
      ...withHints(input.hints),
      record: true,
    });
    const overOurLimit = refs.filter((r) => r.size !== undefined && r.size > config.intake.maxBytes).length;
    const limit = refused.tooBig > 0 ? Math.min(config.intake.maxBytes, TELEGRAM_GETFILE_MAX_BYTES) : config.intake.maxBytes;
    notes.tooLarge = overOurLimit + refused.tooBig;
    if (mode === 'passive') return;
    await answer(msg, outcome, notes, limit, botLanguage(chat.language, msg.from?.language_code));
  });

  bot.catch((err, ctx) => {
    // Never fatal: one update failing must not stop the bot.
    const what = err instanceof TelegramError ? `${err.code} ${err.description}` : err instanceof Error ? err.message : String(err);
    log.warn({ updateId: ctx.update.update_id, error: what }, `telegram update ${ctx.update.update_id} failed: ${what}`);
  });

  let me: Awaited<ReturnType<typeof bot.telegram.getMe>>;
  try {
    me = await call('getMe', () => bot.telegram.getMe());
    bot.botInfo = me;
    // The command menu in each reply language: English by default, Chinese for users whose Telegram is in Chinese.
    for (const language of BOT_LANGUAGES) {
      const descriptions = botTexts(language).telegramCommands;
      const commands = COMMANDS.map((command) => ({ command, description: descriptions[command] }));
      await call('setMyCommands', () => bot.telegram.setMyCommands(commands, language === 'en' ? {} : { language_code: language }));
    }
  } catch (err) {
    status.remove();
    // A refused token or unreachable Bot API: say it was Telegram (a bare "connect ECONNREFUSED"
    // names no platform).
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`Telegram: cannot reach the Bot API at ${apiRoot} (token from ${tokenEnv}): ${redact(why)}`, { cause: err });
  }

  let polling: Promise<void> | undefined;
  if (config.telegram.mode === 'webhook') {
    const hook = config.telegram.webhook;
    if (!hook) throw new Error('telegram.mode is webhook but telegram.webhook { domain, path, port } is not set');
    // A per-start secret: Telegram echoes it in a header, so forged POSTs to the hook are refused.
    const secretToken = randomBytes(32).toString('hex');
    await bot.launch({
      allowedUpdates: ['message', 'my_chat_member'],
      webhook: {
        domain: hook.domain,
        path: hook.path,
        port: opts.webhookPort ?? hook.port,
        secretToken,
        ...(opts.webhookHost ? { host: opts.webhookHost } : {}),
      },
    });
  } else {
    // launch() resolves only when polling ends; keep the promise to surface a fatal end (401/409).
    polling = bot.launch({ allowedUpdates: ['message', 'my_chat_member'] }).catch((err: unknown) => {
      status.down(`polling stopped: ${err instanceof TelegramError ? `${err.code} ${err.description}` : (err as Error).message}`);
      log.warn(`telegram polling stopped: ${err instanceof TelegramError ? `${err.code} ${err.description}` : (err as Error).message}`);
    });
  }

  return {
    processor,
    stats,
    botUsername: me.username,
    async stop() {
      status.remove();
      unregisterSink?.();
      try {
        bot.stop('adapter stopped');
      } catch {
        // Already stopped (e.g. polling ended on an error).
      }
      await polling;
      // The queue is shared with the other adapters: the host drains it when the process stops.
    },
  };
}
