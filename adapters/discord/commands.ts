// The application commands the bot registers on ready. Names and descriptions come from the bots'
// text table (adapters/shared/bot-texts.ts): English by default, Chinese for Discord's zh-CN and
// zh-TW clients. Command and option names stay English: handlers match on them.
import {
  ApplicationCommandType,
  ChannelType,
  ContextMenuCommandBuilder,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type LocalizationMap,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { botTexts, type DiscordCommandTexts } from '../shared/bot-texts.ts';
import { READABLE_CHANNEL_TYPES } from './channels.ts';

const en = botTexts('en').discordCommands;
const zh = botTexts('zh').discordCommands;

/** The message-menu command's name is its text: Discord shows it, and the handler matches on it. */
export const RECOGNIZE_MESSAGE = en.recognizeMessage;
export const ENTITIES = 'entities';
export const STATS = 'stats';
export const CONFIG = 'ekmm-config';
export const HELP = 'help';
export const DASHBOARD = 'dashboard';

/** The English text of `key`, with the Chinese one for Discord's Chinese locales. */
function text(key: keyof DiscordCommandTexts): [string, LocalizationMap] {
  return [en[key], { 'zh-CN': zh[key], 'zh-TW': zh[key] }];
}

/** Sets the English description of `key` and its Chinese localizations (also used by adapters/discord/watch.ts). */
export const describe = (key: keyof DiscordCommandTexts) => {
  const [base, localized] = text(key);
  return <T extends { setDescription(d: string): T; setDescriptionLocalizations(l: LocalizationMap): T }>(b: T): T =>
    b.setDescription(base).setDescriptionLocalizations(localized);
};

const choice = (key: keyof DiscordCommandTexts, value: string) => {
  const [name, name_localizations] = text(key);
  return { name, name_localizations, value };
};

export function commandDefinitions(maxDays: number): RESTPostAPIApplicationCommandsJSONBody[] {
  return [
    new ContextMenuCommandBuilder()
      .setName(RECOGNIZE_MESSAGE)
      .setNameLocalizations(text('recognizeMessage')[1])
      .setType(ApplicationCommandType.Message)
      .toJSON(),
    describe('entities')(new SlashCommandBuilder().setName(ENTITIES))
      .addStringOption((o) => describe('entitiesText')(o.setName('text')).setRequired(true).setMaxLength(4000))
      .toJSON(),
    describe('help')(new SlashCommandBuilder().setName(HELP)).toJSON(),
    describe('dashboard')(new SlashCommandBuilder().setName(DASHBOARD))
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .toJSON(),
    describe('stats')(new SlashCommandBuilder().setName(STATS))
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .addIntegerOption((o) => describe('statsDays')(o.setName('days')).setMinValue(1).setMaxValue(maxDays))
      .addChannelOption((o) => describe('statsChannel')(o.setName('channel')).addChannelTypes(...READABLE_CHANNEL_TYPES))
      .toJSON(),
    describe('config')(new SlashCommandBuilder().setName(CONFIG))
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .addStringOption((o) =>
        describe('configMode')(o.setName('mode')).addChoices(
          choice('modeMention', 'mention'),
          choice('modeAuto', 'auto'),
          choice('modePassive', 'passive'),
        ),
      )
      .addChannelOption((o) => describe('configEnable')(o.setName('enable')).addChannelTypes(...READABLE_CHANNEL_TYPES))
      .addChannelOption((o) => describe('configDisable')(o.setName('disable')).addChannelTypes(...READABLE_CHANNEL_TYPES))
      .addChannelOption((o) => describe('configAlerts')(o.setName('alerts')).addChannelTypes(ChannelType.GuildText))
      .addStringOption((o) =>
        describe('configLanguage')(o.setName('language')).addChoices(
          choice('languageAuto', 'auto'),
          choice('languageEnglish', 'en'),
          choice('languageChinese', 'zh'),
        ),
      )
      .toJSON(),
  ];
}
