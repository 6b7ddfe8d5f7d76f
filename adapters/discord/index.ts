// Discord adapter (discord.js v14). Per guild a moderator picks a mode with /ekmm-config:
// mention (reply when mentioned), auto (reply to every message with entities) or passive (count
// only), in the channels they enabled. Text and image attachments from Discord's CDN go to the
// core. /entities, the "Recognize entities" message command, /stats and /ekmm-config.
import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  HTTPError,
  MessageFlags,
  PermissionFlagsBits,
  RateLimitError,
  type Attachment,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message as DiscordMessage,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import type { EkmmConfig } from '../../src/config/schema.ts';
import type { ImageInput } from '../../src/core/types.ts';
import type { IterableStore } from '../../src/core/stages.ts';
import { fetchImage, urlAllowed } from '../../src/intake/fetch.ts';
import { ImageNotes, notesApply } from '../shared/image-notes.ts';
import type { EntityStats } from '../../src/stats/entity-stats.ts';
import type { Host, MessageProcessor, Outcome } from '../../src/host/index.ts';
import { registerSecret, type Logger } from '../../src/observability/logger.ts';
import { formatDiscordReply, formatDiscordTop, groupEntities, refusalText } from '../shared/reply-format.ts';
import { withHints } from '../../src/host/processor.ts';
import { discordHints } from './hints.ts';
import { isTransientNetworkError, withRetry, type RetryDecision } from '../shared/retry.ts';
import { commandDefinitions, CONFIG, DASHBOARD, ENTITIES, HELP, RECOGNIZE_MESSAGE, STATS } from './commands.ts';
import { botLanguage, botTexts, type BotLanguage } from '../shared/bot-texts.ts';
import { parentChannelId } from './channels.ts';
import { deleteCommunityData } from '../shared/community-data.ts';
import { dashboardLinkFor } from '../../src/stats/dashboard-token.ts';
import { GuildSettingsStore, isGuildMode, isLanguageSetting, type GuildSettings } from './settings.ts';
import { discordWatch, watchCommandDefinition, WATCH } from './watch.ts';

export interface DiscordOptions {
  /** Bot token; defaults to the env var named by discord.tokenEnv. */
  token?: string;
  env?: NodeJS.ProcessEnv;
  /** Where guild settings (/ekmm-config) are kept; the app passes the statistics store. */
  settingsStore: IterableStore;
  /** Days /stats looks back when the moderator does not say. */
  statsDays?: number;
  /** Defaults to the host's logger; lines carry adapter: "discord". */
  logger?: Logger;
}

export interface DiscordAdapter {
  readonly client: Client;
  readonly processor: MessageProcessor;
  readonly stats: EntityStats;
  readonly settings: GuildSettingsStore;
  stop(): Promise<void>;
}

export function discordCommunityId(guildId: string): string {
  return `discord:${guildId}`;
}

function classifyDiscordError(err: unknown): RetryDecision {
  if (err instanceof RateLimitError) return { retry: true, afterMs: err.retryAfter };
  if (err instanceof DiscordAPIError || err instanceof HTTPError)
    return err.status >= 500 || err.status === 429 ? { retry: true } : { retry: false };
  return isTransientNetworkError(err) ? { retry: true } : { retry: false };
}

function describe(err: unknown): string {
  if (err instanceof DiscordAPIError) return `${err.status} ${err.code} ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Starts the bot on the shared host: its processor (guards, queue, executor) and its statistics. */
export async function startDiscord(host: Host, config: EkmmConfig, opts: DiscordOptions): Promise<DiscordAdapter> {
  const env = opts.env ?? process.env;
  const tokenEnv = config.discord.tokenEnv;
  const token = opts.token ?? env[tokenEnv];
  if (!token) throw new Error(`Discord bot token missing: set the environment variable ${tokenEnv} (discord.tokenEnv)`);
  registerSecret(token);
  const log = (opts.logger ?? host.logger).child({ adapter: 'discord' });

  if (!host.stats) throw new Error('Discord adapter: the host has no statistics store (the bot counts entities and answers /stats)');
  const stats = host.stats;
  const processor = host.processor;
  const settings = new GuildSettingsStore(opts.settingsStore, {
    mode: config.discord.defaultMode,
    channels: [],
    language: config.language,
  });
  const statsDays = opts.statsDays ?? 7;
  const cdnHosts = config.discord.cdnHosts.map((h) => h.toLowerCase());
  const call = <T>(what: string, fn: () => Promise<T>) => withRetry(what, fn, { classify: classifyDiscordError, logger: log });

  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    // Entity names must never ping anyone.
    allowedMentions: { parse: [], repliedUser: false },
    ...(config.discord.apiBase ? { rest: { api: config.discord.apiBase } } : {}),
  });

  // Watchlists: /watch and the alerts the host hands this adapter (adapters/discord/watch.ts).
  const watcher = host.watch
    ? discordWatch({ client, watch: host.watch, settings, config, log, call, communityId: discordCommunityId })
    : undefined;
  const unregisterSink = watcher ? host.watch!.registerSink('discord', watcher.sink) : undefined;

  const imageAttachments = (attachments: Iterable<Attachment>): Attachment[] =>
    [...attachments].filter((a) => {
      if (!(a.contentType?.startsWith('image/') ?? /\.(png|jpe?g|gif|webp|bmp|tiff?)$/i.test(a.name))) return false;
      let url: URL;
      try {
        url = new URL(a.url);
      } catch {
        log.warn(`discord attachment ${a.id} skipped: its URL cannot be parsed`);
        return false;
      }
      if (!urlAllowed(url, cdnHosts)) {
        log.warn(
          `discord attachment ${a.id} skipped: host ${url.hostname.toLowerCase()} is not in discord.cdnHosts (host and port ${url.port || 'default'} must match)`,
        );
        return false;
      }
      if (a.size > config.intake.maxBytes) {
        log.warn(`discord attachment ${a.id} skipped: ${a.size} bytes exceeds intake.maxBytes`);
        return false;
      }
      return true;
    });

  /** Image attachments over intake.maxBytes: they are not read, and the author is told so. */
  const oversizedImages = (attachments: Iterable<Attachment>): number =>
    [...attachments].filter(
      (a) => (a.contentType?.startsWith('image/') ?? /\.(png|jpe?g|gif|webp|bmp|tiff?)$/i.test(a.name)) && a.size > config.intake.maxBytes,
    ).length;

  const download = async (attachments: Attachment[], notes: ImageNotes): Promise<ImageInput[]> => {
    const out: ImageInput[] = [];
    for (const a of attachments) {
      const got = await fetchImage(a.url, {
        allowedHosts: cdnHosts,
        maxBytes: config.intake.maxBytes,
        timeoutMs: config.intake.fetchTimeoutMs,
        allowPrivate: config.intake.allowPrivateAddresses,
        listName: 'discord.cdnHosts',
      });
      if (got.ok) out.push({ kind: 'bytes', bytes: got.bytes, name: a.name });
      else {
        notes.failed++;
        log.warn(`discord attachment ${a.id} not downloaded: ${got.code} ${got.reason}`);
      }
    }
    return out;
  };

  /** The guild's reply language: the one a moderator chose with /ekmm-config, else the guild's locale. */
  const languageOf = async (guildId: string | null, locale: string | null | undefined): Promise<BotLanguage> =>
    botLanguage(guildId ? await settings.chosenLanguage(guildId) : undefined, locale);

  const recognizeMessage = (
    msg: DiscordMessage,
    text: string,
    guildSettings: GuildSettings | undefined,
    record: boolean,
    notes = new ImageNotes(config.limits.imagesPerMessage),
  ): Promise<Outcome> => {
    // Images past limits.imagesPerMessage are never downloaded.
    const images = notes.take(imageAttachments(msg.attachments.values()));
    return processor.process({
      fromBot: msg.author.bot || msg.author.id === client.user?.id,
      userId: `discord:${msg.author.id}`,
      communityId: discordCommunityId(msg.guildId ?? `dm-${msg.channelId}`),
      channelId: parentChannelId(msg.channel, msg.channelId),
      ...(parentChannelId(msg.channel, msg.channelId) !== msg.channelId ? { messageChannelId: msg.channelId } : {}),
      messageId: msg.id,
      text,
      imageCount: images.length,
      loadImages: () => download(images, notes),
      ...(guildSettings ? { language: guildSettings.language } : {}),
      ...withHints(discordHints(msg, client.user?.id)),
      record,
    });
  };

  const outcomeText = (outcome: Outcome, language: BotLanguage): string | undefined => {
    switch (outcome.kind) {
      case 'recognized':
        return formatDiscordReply(groupEntities(outcome.recognition.entities, config.entityTypes), language);
      case 'refused':
        return outcome.notify ? refusalText(outcome.reason, outcome.retryAfterMs, language) : undefined;
      case 'failed':
        return botTexts(language).failed;
      case 'dismissed':
        return undefined;
    }
  };

  const onMessage = async (msg: DiscordMessage): Promise<void> => {
    if (!msg.inGuild() || msg.author.bot || msg.author.id === client.user?.id) return;
    const s = await settings.get(msg.guildId);
    // A thread or forum post is read when its parent channel is enabled.
    if (!s.channels.includes(parentChannelId(msg.channel, msg.channelId))) return;
    const mentioned = client.user !== null && msg.mentions.users.has(client.user.id);
    if (s.mode === 'mention' && !mentioned) return;
    const text = client.user ? msg.content.replace(new RegExp(`<@!?${client.user.id}>`, 'g'), ' ').trim() : msg.content;
    const notes = new ImageNotes(config.limits.imagesPerMessage);
    notes.tooLarge = oversizedImages(msg.attachments.values());
    const outcome = await recognizeMessage(msg, text, s, true, notes);
    if (s.mode === 'passive') return;
    const language = await languageOf(msg.guildId, msg.guild.preferredLocale);
    // A message holding only images we did not read is "empty" to the processor: it is still answered.
    if (notesApply(notes, outcome)) {
      // An image we did not read must not look like "nothing found": say why, in the guild's language.
      const note = notes.text(botTexts(language), config.intake.maxBytes);
      const found = outcome.kind === 'recognized' && outcome.recognition.entities.length > 0 ? outcomeText(outcome, language) : undefined;
      const content = found ? `${found}\n${note}` : note;
      await call('reply', () => msg.reply({ content, allowedMentions: { parse: [], repliedUser: false } }));
      return;
    }
    // In auto mode only messages with entities get a reply; a mention always gets one.
    if (s.mode === 'auto' && outcome.kind === 'recognized' && outcome.recognition.entities.length === 0) return;
    if (s.mode === 'auto' && outcome.kind !== 'recognized' && !mentioned) return;
    const reply = outcomeText(outcome, language);
    if (reply) await call('reply', () => msg.reply({ content: reply, allowedMentions: { parse: [], repliedUser: false } }));
  };

  const isModerator = (i: ChatInputCommandInteraction): boolean =>
    i.inGuild() && (i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false);

  /** An interaction's reply language: the guild's setting, else the guild's locale, else the user's. */
  const interactionLanguage = (i: ChatInputCommandInteraction | MessageContextMenuCommandInteraction): Promise<BotLanguage> =>
    languageOf(i.guildId, i.guildLocale ?? i.locale);

  const onStats = async (i: ChatInputCommandInteraction): Promise<void> => {
    const language = await interactionLanguage(i);
    const texts = botTexts(language);
    if (!isModerator(i)) {
      await call('interaction reply', () => i.reply({ content: texts.statsModeratorsOnly('discord'), flags: MessageFlags.Ephemeral }));
      return;
    }
    const days = i.options.getInteger('days') ?? statsDays;
    const channel = i.options.getChannel('channel');
    const top = await stats.top({
      communityId: discordCommunityId(i.guildId!),
      days,
      limit: 10,
      ...(channel ? { channelId: channel.id } : {}),
    });
    const heading = texts.statsHeading({ days, ...(channel ? { channel: channel.name ?? channel.id } : {}) });
    await call('interaction reply', () => i.reply({ content: formatDiscordTop(top, heading, language), flags: MessageFlags.Ephemeral }));
  };

  const onConfig = async (i: ChatInputCommandInteraction): Promise<void> => {
    if (!isModerator(i)) {
      const texts = botTexts(await interactionLanguage(i));
      await call('interaction reply', () => i.reply({ content: texts.configModeratorsOnly, flags: MessageFlags.Ephemeral }));
      return;
    }
    const mode = i.options.getString('mode');
    const language = i.options.getString('language');
    const enable = i.options.getChannel('enable');
    const disable = i.options.getChannel('disable');
    const alerts = i.options.getChannel('alerts');
    const next = await settings.update(
      i.guildId!,
      (s) => ({
        mode: isGuildMode(mode) ? mode : s.mode,
        language: isLanguageSetting(language) ? language : s.language,
        channels: s.channels.filter((c) => c !== disable?.id).concat(enable ? [enable.id] : []),
      }),
      { languageChosen: isLanguageSetting(language) },
    );
    // Answered in the language just chosen, so a moderator sees the change take effect.
    const texts = botTexts(await interactionLanguage(i));
    const summary = texts.configSummary({ mode: next.mode, language: next.language, channels: next.channels.map((c) => `<#${c}>`) });
    const alertsLine = alerts && watcher ? `\n${await watcher.setAlertChannel(i.guildId!, alerts.id, await interactionLanguage(i))}` : '';
    const content = `${summary}${alertsLine}`;
    await call('interaction reply', () => i.reply({ content, flags: MessageFlags.Ephemeral }));
  };

  const onHelp = async (i: ChatInputCommandInteraction): Promise<void> => {
    const content = botTexts(await interactionLanguage(i)).help({ platform: 'discord', retentionDays: config.stats.retentionDays });
    await call('interaction reply', () => i.reply({ content, flags: MessageFlags.Ephemeral }));
  };

  // The link holds a signed token for this one guild: it goes only into the ephemeral reply, never into a log line.
  const onDashboard = async (i: ChatInputCommandInteraction): Promise<void> => {
    const texts = botTexts(await interactionLanguage(i));
    if (!isModerator(i)) {
      await call('interaction reply', () => i.reply({ content: texts.dashboardModeratorsOnly, flags: MessageFlags.Ephemeral }));
      return;
    }
    const { url, expiresAt } = dashboardLinkFor(config, discordCommunityId(i.guildId!), { env });
    const content = texts.dashboardLink(i.guild?.name ?? i.guildId!, url, expiresAt);
    await call('interaction reply', () => i.reply({ content, flags: MessageFlags.Ephemeral }));
  };

  /** The bot left or was removed from a guild: its statistics and settings go with it. */
  const onGuildRemoved = async (guildId: string): Promise<void> => {
    const communityId = discordCommunityId(guildId);
    const deleted = await deleteCommunityData(stats, opts.settingsStore, communityId);
    settings.forget(guildId);
    log.info({ communityId, ...deleted }, `discord guild ${guildId} removed the bot: its statistics and settings were deleted`);
  };

  const onLookup = async (i: ChatInputCommandInteraction | MessageContextMenuCommandInteraction): Promise<void> => {
    // Recognition can take longer than the 3 s Discord allows for a first answer.
    await call('interaction defer', () => i.deferReply({ flags: MessageFlags.Ephemeral }));
    const guildSettings = i.guildId ? await settings.get(i.guildId) : undefined;
    let outcome: Outcome;
    if (i.isMessageContextMenuCommand()) {
      outcome = await recognizeMessage(i.targetMessage, i.targetMessage.content, guildSettings, false);
      // The lookup is the user's, not the message author's: a bot's message may be looked at too.
      if (outcome.kind === 'dismissed' && outcome.reason === 'bot') {
        outcome = await processor.process({
          fromBot: false,
          userId: `discord:${i.user.id}`,
          communityId: discordCommunityId(i.guildId ?? `dm-${i.channelId}`),
          text: i.targetMessage.content,
          imageCount: 0,
          record: false,
        });
      }
    } else {
      outcome = await processor.process({
        fromBot: false,
        userId: `discord:${i.user.id}`,
        communityId: discordCommunityId(i.guildId ?? `dm-${i.channelId}`),
        channelId: parentChannelId(i.channel, i.channelId),
        text: i.options.getString('text', true),
        imageCount: 0,
        ...(guildSettings ? { language: guildSettings.language } : {}),
        record: false,
      });
    }
    const language = await interactionLanguage(i);
    const text =
      outcomeText(outcome, language) ??
      (outcome.kind === 'refused' ? refusalText(outcome.reason, outcome.retryAfterMs, language) : botTexts(language).nothingToLookAt);
    await call('interaction edit', () => i.editReply({ content: text, allowedMentions: { parse: [] } }));
  };

  const onInteraction = async (i: Interaction): Promise<void> => {
    if (i.isMessageContextMenuCommand() && i.commandName === RECOGNIZE_MESSAGE) return onLookup(i);
    if (!i.isChatInputCommand()) return;
    if (i.commandName === ENTITIES) return onLookup(i);
    if (i.commandName === STATS) return onStats(i);
    if (i.commandName === CONFIG) return onConfig(i);
    if (i.commandName === HELP) return onHelp(i);
    if (i.commandName === DASHBOARD) return onDashboard(i);
    if (i.commandName === WATCH && watcher) return watcher.onCommand(i);
  };

  // Every handler is guarded: one failing event is reported, never fatal.
  client.on(Events.MessageCreate, (msg) => {
    onMessage(msg).catch((err: unknown) =>
      log.warn({ messageId: msg.id, error: describe(err) }, `discord message ${msg.id} failed: ${describe(err)}`),
    );
  });
  client.on(Events.InteractionCreate, (i) => {
    onInteraction(i).catch((err: unknown) =>
      log.warn({ interactionId: i.id, error: describe(err) }, `discord interaction ${i.id} failed: ${describe(err)}`),
    );
  });
  client.on(Events.GuildDelete, (g) => {
    // discord.js emits guildUnavailable, not guildDelete, for an outage: this is a real removal.
    onGuildRemoved(g.id).catch((err: unknown) =>
      log.warn({ guildId: g.id, error: describe(err) }, `discord guild ${g.id} clean-up failed: ${describe(err)}`),
    );
  });
  client.on(Events.Error, (err) => log.warn(`discord client error: ${describe(err)}`));
  client.on(Events.ShardError, (err, shard) => log.warn(`discord gateway shard ${shard} error: ${describe(err)}`));
  // Readiness and ekmm_adapter_connected follow the gateway: ready/resumed is up, a lost or
  // closed connection is down until discord.js has reconnected.
  const status = host.adapterStatus('discord');
  client.on(Events.ShardReady, () => status.up());
  client.on(Events.ShardDisconnect, (ev, shard) => {
    status.down(`gateway shard ${shard} disconnected (code ${ev.code})`);
    log.warn(`discord gateway shard ${shard} disconnected for good (code ${ev.code})`);
  });
  client.on(Events.ShardReconnecting, (shard) => {
    status.down(`gateway shard ${shard} reconnecting`);
    log.warn(`discord gateway shard ${shard} lost its connection; reconnecting`);
  });
  client.on(Events.ShardResume, (shard) => {
    status.up();
    log.info(`discord gateway shard ${shard} resumed`);
  });
  client.rest.on('rateLimited', (info) => log.warn(`discord rate limited on ${info.method} ${info.route}; waiting ${info.retryAfter} ms`));
  // discord.js waits out a 429 and retries by itself; this only reports it.
  client.rest.on('response', (req, res) => {
    if (res.status === 429)
      log.warn(`discord rate limited (429) on ${req.method.toUpperCase()} ${req.route}; discord.js retries after the wait`);
  });

  const ready = new Promise<void>((resolve) => {
    client.once(Events.ClientReady, async (c) => {
      try {
        const commands = [
          ...commandDefinitions(config.stats.retentionDays),
          ...(watcher ? [watchCommandDefinition(config.entityTypes)] : []),
        ];
        await call('register commands', () => c.application.commands.set(commands));
      } catch (err) {
        log.warn(`discord command registration failed: ${describe(err)}`);
      }
      resolve();
    });
  });
  try {
    await client.login(token);
    await ready;
    status.up();
  } catch (err) {
    status.remove();
    // A refused token or unreachable gateway: release what start-up opened before reporting it,
    // and say it was Discord (a bare "connect ECONNREFUSED" names no platform).
    await client.destroy();
    const where = config.discord.apiBase ?? 'https://discord.com/api';
    throw new Error(`Discord: cannot connect or log in (API ${where}, token from ${tokenEnv}): ${describe(err)}`, { cause: err });
  }

  return {
    client,
    processor,
    stats,
    settings,
    async stop() {
      status.remove();
      unregisterSink?.();
      await client.destroy();
      // The queue and the stores are shared with the other adapters: the app closes them.
    },
  };
}
