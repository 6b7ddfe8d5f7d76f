// Discord side of watchlists: the /watch command (moderators: Manage Server) and the AlertSink
// that posts alerts to the channel a moderator set with /ekmm-config alerts:#channel. Matching
// and the rate limit live in src/watch/; this file only translates and posts.
import {
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type SlashCommandSubcommandBuilder,
  type ChatInputCommandInteraction,
  type Client,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { EkmmConfig } from '../../src/config/schema.ts';
import {
  describeEntry,
  entityEntry,
  typeEntry,
  WatchInputError,
  type Alert,
  type AlertSink,
  type WatchAlerts,
  type WatchEntry,
} from '../../src/watch/index.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { botLanguage, botTexts, type BotLanguage } from '../shared/bot-texts.ts';
import { describe } from './commands.ts';
import type { GuildSettingsStore } from './settings.ts';

export const WATCH = 'watch';

export function watchCommandDefinition(types: readonly string[]): RESTPostAPIApplicationCommandsJSONBody {
  const what = (verb: 'add' | 'remove') => (s: SlashCommandSubcommandBuilder) =>
    describe(verb === 'add' ? 'watchAdd' : 'watchRemove')(s.setName(verb))
      .addStringOption((o) => describe('watchEntity')(o.setName('entity')).setMaxLength(200))
      .addStringOption((o) =>
        describe('watchType')(o.setName('type')).addChoices(...types.slice(0, 25).map((t) => ({ name: t, value: t }))),
      );
  return describe('watch')(new SlashCommandBuilder().setName(WATCH))
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand(what('add'))
    .addSubcommand(what('remove'))
    .addSubcommand((s) => describe('watchList')(s.setName('list')))
    .toJSON();
}

export interface DiscordWatchDeps {
  client: Client;
  watch: WatchAlerts;
  settings: GuildSettingsStore;
  config: EkmmConfig;
  log: Logger;
  /** The adapter's retrying call wrapper. */
  call: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  communityId: (guildId: string) => string;
}

export interface DiscordWatch {
  onCommand(i: ChatInputCommandInteraction): Promise<void>;
  /** /ekmm-config alerts:#channel: stores it and says so; returns the line for the reply. */
  setAlertChannel(guildId: string, channelId: string, language: BotLanguage): Promise<string>;
  readonly sink: AlertSink;
}

export function discordWatch(deps: DiscordWatchDeps): DiscordWatch {
  const { client, watch, settings, config, call } = deps;
  const store = watch.watchlists;
  const types = config.entityTypes;

  const language = async (guildId: string, locale: string | null | undefined): Promise<BotLanguage> =>
    botLanguage(await settings.chosenLanguage(guildId), locale);

  /** A text channel of this guild the bot can post in (alerts never leave their guild). */
  const sendableInGuild = async (guildId: string, channelId: string) => {
    const channel = await client.channels.fetch(channelId).catch(() => null);
    if (!channel || channel.isDMBased() || channel.guildId !== guildId || !channel.isSendable()) return undefined;
    return channel;
  };

  const alertsLine = async (guildId: string, lang: BotLanguage): Promise<string> => {
    const channel = (await store.get(deps.communityId(guildId))).alertChannel;
    const texts = botTexts(lang);
    return channel ? texts.watchDiscordAlertsTo(`<#${channel}>`) : texts.watchDiscordNoAlertChannel;
  };

  const onCommand = async (i: ChatInputCommandInteraction): Promise<void> => {
    const guildId = i.guildId;
    const lang = guildId ? await language(guildId, i.guildLocale ?? i.locale) : botLanguage(undefined, i.locale);
    const texts = botTexts(lang);
    const answer = (content: string) =>
      call('interaction reply', () => i.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } }));
    if (!guildId || !i.inGuild() || !(i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false)) {
      await answer(texts.watchDiscordModeratorsOnly);
      return;
    }
    const communityId = deps.communityId(guildId);
    const sub = i.options.getSubcommand();
    if (sub === 'list') {
      const entries = await store.entries(communityId);
      await answer(texts.watchList(entries.map(describeEntry), await alertsLine(guildId, lang)));
      return;
    }
    let entry: WatchEntry;
    try {
      const type = i.options.getString('type');
      const entity = i.options.getString('entity');
      if (entity && type) throw new WatchInputError('empty', 'give either entity or type');
      entry = type ? typeEntry(type, types) : entityEntry(entity ?? '');
    } catch (err) {
      if (err instanceof WatchInputError)
        return void (await answer(`${texts.watchInputError(err.problem, err.detail, types)}\n${texts.watchUsage('discord', types)}`));
      throw err;
    }
    const shown = describeEntry(entry);
    if (sub === 'add') {
      const r = await store.add(communityId, entry);
      const said = r.added
        ? texts.watchAdded(shown)
        : r.reason === 'present'
          ? texts.watchAlreadyWatched(shown)
          : texts.watchFull(config.watch.maxEntries);
      await answer(`${said}\n${await alertsLine(guildId, lang)}`);
    } else {
      const r = await store.remove(communityId, entry);
      await answer(r.removed ? texts.watchRemoved(shown) : texts.watchNotWatched(shown));
    }
  };

  const setAlertChannel = async (guildId: string, channelId: string, lang: BotLanguage): Promise<string> => {
    const texts = botTexts(lang);
    if (!(await sendableInGuild(guildId, channelId))) return texts.watchDiscordAlertChannelUnusable(`<#${channelId}>`);
    await store.setAlertChannel(deps.communityId(guildId), channelId);
    return texts.watchDiscordAlertsTo(`<#${channelId}>`);
  };

  const sink: AlertSink = {
    async send(alert: Alert): Promise<void> {
      const guildId = alert.communityId.slice(alert.communityId.indexOf(':') + 1);
      const target = (await store.get(alert.communityId)).alertChannel;
      if (!target) {
        deps.log.info(
          { community: alert.communityId },
          'watch: a watched entity was found but no alert channel is set (/ekmm-config alerts)',
        );
        return;
      }
      const channel = await sendableInGuild(guildId, target);
      if (!channel) {
        deps.log.warn({ community: alert.communityId, channel: target }, 'watch: the alert channel is gone or not writable');
        return;
      }
      const guild = client.guilds.cache.get(guildId);
      const texts = botTexts(await language(guildId, guild?.preferredLocale));
      const content = texts.watchAlert({
        entity: alert.entity.text,
        type: alert.entity.type,
        // A thread's message: named and linked in the thread itself (its counts went to the parent).
        where: (alert.messageChannelId ?? alert.channelId) ? `<#${alert.messageChannelId ?? alert.channelId}>` : (guild?.name ?? guildId),
        fromImage: alert.fromImage,
        fromText: alert.fromText,
        ...((alert.messageChannelId ?? alert.channelId) && alert.messageId
          ? { link: `https://discord.com/channels/${guildId}/${alert.messageChannelId ?? alert.channelId}/${alert.messageId}` }
          : {}),
      });
      // Entity names must never ping anyone.
      await call('alert', () => channel.send({ content, allowedMentions: { parse: [] } }));
    },
  };

  return { onCommand, setAlertChannel, sink };
}
