// The bots' fixed reply texts in one table, English and Chinese. The language is the
// community's setting when it names one (en/zh), otherwise the platform's locale (Discord
// guild preferredLocale, Telegram language_code): anything starting with "zh" is Chinese.
//
// Every text a bot sends that is not an entity name comes from here (test/adapters/bot-texts.test.ts
// checks that each key exists in both languages and that the adapters build no prose reply inline).
// Texts are plain: the adapters escape them for their markup (Telegram MarkdownV2), except the
// Discord ones documented as Discord markdown.
import type { LanguageSetting } from '../../src/core/types.ts';
import type { Refusal } from '../../src/host/index.ts';
import type { WatchInputProblem } from '../../src/watch/watchlist.ts';

export type BotLanguage = 'en' | 'zh';
export type BotPlatform = 'discord' | 'telegram';

/** What the /stats heading names: the window, and the channel (Discord) or chat (Telegram private answer). */
export interface StatsHeading {
  days: number;
  channel?: string;
  community?: string;
}

/** The Discord guild settings as /ekmm-config reports them; channels already rendered as <#id>. */
export interface ConfigSummary {
  mode: string;
  language: string;
  channels: string[];
}

/** What Discord shows for the application commands: names of the message-menu command and choices, descriptions. */
export interface DiscordCommandTexts {
  recognizeMessage: string;
  entities: string;
  entitiesText: string;
  help: string;
  dashboard: string;
  stats: string;
  statsDays: string;
  statsChannel: string;
  config: string;
  configMode: string;
  modeMention: string;
  modeAuto: string;
  modePassive: string;
  configEnable: string;
  configDisable: string;
  configLanguage: string;
  languageAuto: string;
  languageEnglish: string;
  languageChinese: string;
  configAlerts: string;
  watch: string;
  watchAdd: string;
  watchRemove: string;
  watchList: string;
  watchEntity: string;
  watchType: string;
}

/** The Telegram commands and their menu descriptions (setMyCommands, per language). */
export type TelegramCommand = 'stats' | 'help' | 'mode' | 'language' | 'dashboard' | 'watch';

/** One watchlist alert as the bots word it (the adapters' watch.ts fill it in). */
export interface AlertText {
  /** The entity as found and its type. */
  entity: string;
  type: string;
  /** Where: a Discord channel mention (<#id>) or a Telegram chat title. */
  where: string;
  fromImage: boolean;
  fromText: boolean;
  /** A link to the message, when the platform has one. */
  link?: string;
}

export interface HelpContext {
  platform: BotPlatform;
  retentionDays: number;
}

export interface BotTexts {
  help(ctx: HelpContext): string;
  imageTooLarge(count: number, limitBytes: number): string;
  /** Images past limits.imagesPerMessage were not read. */
  imagesPastLimit(limit: number): string;
  /** Images whose download failed. */
  imageUnreadable(count: number): string;
  /** The moderator's private answer to /dashboard: the link and when it stops working. */
  dashboardLink(community: string, url: string, expiresAt: Date): string;
  dashboardModeratorsOnly: string;
  /** In the group, after the link went to the administrator's private chat. */
  dashboardSentPrivately: string;
  /** In the group, when the bot may not write to the administrator first (/dashboard, /stats). */
  startPrivateChat(botUsername: string, command: string): string;
  /** /dashboard in a private chat: the bot cannot tell which group is meant. */
  dashboardInGroup: string;
  /** In the group, after /stats went to the administrator's private chat. */
  statsSentPrivately: string;

  /** A reply with no entities (private chats, mentions, lookups). */
  noEntities: string;
  /** The reply was cut at the platform's message limit. */
  moreOmitted(count: number): string;
  statsHeading(h: StatsHeading): string;
  statsEmpty: string;
  statsModeratorsOnly(platform: BotPlatform): string;
  configModeratorsOnly: string;
  /** Discord markdown: the mode and language in bold. */
  configSummary(s: ConfigSummary): string;
  /** Recognition failed (an error, a timeout). */
  failed: string;
  /** A lookup (/entities, the message menu) on a message without text or readable images. */
  nothingToLookAt: string;
  /** Guards refused the message: a user or chat over its rate, or the queue full. */
  refusal(reason: Refusal, retryAfterSeconds: number): string;
  /** Telegram /start. */
  start: string;
  /** /mode in a private chat. */
  modeInPrivate: string;
  modeAdminsOnly: string;
  modeCurrent(mode: string): string;
  modeUnknown(wanted: string): string;
  modeSet(mode: string): string;
  languageAdminsOnly: string;
  /** `setting` is what administrators chose (or "auto"), `replies` the language this chat's replies are in. */
  languageCurrent(setting: string, replies: BotLanguage): string;
  languageUnknown(wanted: string): string;
  languageSet(setting: string, replies: BotLanguage): string;
  telegramCommands: Record<TelegramCommand, string>;
  discordCommands: DiscordCommandTexts;

  // Watchlists (/watch) and their alerts.
  watchDiscordModeratorsOnly: string;
  watchTelegramAdminsOnly: string;
  watchUsage(platform: 'discord' | 'telegram', types: readonly string[]): string;
  watchInputError(problem: WatchInputProblem, detail: string, types: readonly string[]): string;
  watchAdded(entry: string): string;
  watchAlreadyWatched(entry: string): string;
  watchFull(max: number): string;
  watchRemoved(entry: string): string;
  watchNotWatched(entry: string): string;
  /** The list, and where alerts go (or how to set that up). */
  watchList(entries: string[], alertsTo: string): string;
  watchDiscordAlertsTo(channelMention: string): string;
  watchDiscordNoAlertChannel: string;
  /** /ekmm-config alerts:#channel when the channel is not one the bot can post in. */
  watchDiscordAlertChannelUnusable(channelMention: string): string;
  watchTelegramAlertsTo(admins: number): string;
  watchTelegramAlertsOn(scope: 'chat' | 'all'): string;
  watchTelegramAlertsOff(scope: 'chat' | 'all'): string;
  watchAlert(a: AlertText): string;
}

const mib = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;

const fromWhere = (a: AlertText, image: string, text: string, both: string) =>
  a.fromImage && a.fromText ? both : a.fromImage ? image : text;

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const EN: BotTexts = {
  help: ({ platform, retentionDays }) =>
    [
      'I find the people, places, organisations and other names in messages and pictures.',
      '',
      'Commands:',
      ...(platform === 'discord'
        ? [
            '/entities text: the names in a text (only you see the answer)',
            '"Recognize entities" (message menu): the names in a message',
            '/stats: the top names in this server (moderators)',
            '/ekmm-config: mode, channels and language (moderators)',
            '/watch add|remove|list: alert the moderators when a watched name is found, also in pictures (moderators; alerts go to the channel set with /ekmm-config alerts)',
          ]
        : [
            '/stats: the top names in this chat (administrators)',
            '/mode mention|auto|passive: when I reply in this group (administrators)',
            '/language en|zh|auto: the language of this chat (administrators)',
            '/watch add|remove|list, /watch alerts on|off: private alerts when a watched name is found, also in pictures (administrators)',
          ]),
      '/dashboard: a private link to the statistics dashboard (moderators)',
      '/help: this text',
      '',
      'Privacy: I store only how often each name was found, per day and channel. I store no message text, no images and no user ids.',
      ...(platform === 'telegram'
        ? [
            'Watchlist alerts are the exception: an administrator who turns them on (/watch alerts on) has their user id kept until they turn them off.',
          ]
        : []),
      `Counts are kept for ${retentionDays} days, then deleted.`,
      `To delete everything about this ${platform === 'discord' ? 'server' : 'chat'} now, remove the bot from it: its statistics and settings are deleted at once. The operator can also run: ekmm stats --delete --community ID --yes`,
    ].join('\n'),
  imageTooLarge: (count, limit) =>
    count === 1
      ? `This image is too large for me to read (the limit is ${mib(limit)}).`
      : `${count} images are too large for me to read (the limit is ${mib(limit)}).`,
  imagesPastLimit: (limit) =>
    limit === 0
      ? 'I do not read images here.'
      : limit === 1
        ? 'Only the first image was read (I read at most 1 image per message).'
        : `Only the first ${limit} images were read (I read at most ${limit} per message).`,
  imageUnreadable: (count) =>
    count === 1
      ? 'I could not read this image: it could not be downloaded.'
      : `I could not read ${count} images: they could not be downloaded.`,
  dashboardLink: (community, url, expiresAt) =>
    `Dashboard for ${community} (do not share this link; it works until ${utc(expiresAt)}):\n${url}`,
  dashboardModeratorsOnly: 'Only moderators can open the dashboard.',
  dashboardSentPrivately: 'I sent you a private message with the dashboard link.',
  startPrivateChat: (bot, command) =>
    `I cannot write to you first: open a private chat with @${bot}, press Start, then run ${command} here again.`,
  dashboardInGroup: 'Run /dashboard in the group whose dashboard you want; I will send the link here.',
  statsSentPrivately: 'I sent you the statistics in a private message.',
  noEntities: 'No named entities found.',
  moreOmitted: (count) => `…and ${count} more`,
  statsHeading: ({ days, channel, community }) =>
    `Top entities${community ? ` in ${community}` : ''}, last ${days} day${days === 1 ? '' : 's'}${channel ? ` in #${channel}` : ''}`,
  statsEmpty: 'No entities counted in this window yet.',
  statsModeratorsOnly: (platform) =>
    platform === 'discord'
      ? 'Only moderators (Manage Server permission) can see statistics.'
      : 'Only chat administrators can see statistics.',
  configModeratorsOnly: 'Only moderators (Manage Server permission) can configure the bot.',
  configSummary: ({ mode, language, channels }) =>
    `Mode: **${mode}**, language: **${language}**, channels: ${channels.length ? channels.join(', ') : 'none (enable one with /ekmm-config enable:#channel)'}`,
  failed: 'Sorry, I could not look at this message. Please try again later.',
  nothingToLookAt: 'There is nothing to look at in this message.',
  refusal: (reason, seconds) => {
    switch (reason) {
      case 'user_rate':
        return `You're sending messages faster than I can look at them. Please try again in about ${seconds} s.`;
      case 'community_rate':
        return `This chat is very busy right now, so I'm skipping some messages. Please try again in about ${seconds} s.`;
      case 'queue_full':
        return `I'm overloaded at the moment and couldn't look at this message. Please try again shortly.`;
    }
  },
  start: 'Send me text or a picture and I will list the people, places, organisations and other names in it.',
  modeInPrivate: 'Modes are for groups: in a private chat I always answer.',
  modeAdminsOnly: 'Only chat administrators can change the mode.',
  modeCurrent: (mode) => `Mode: ${mode}. Set it with /mode mention, /mode auto or /mode passive.`,
  modeUnknown: (wanted) => `Unknown mode "${wanted}": use mention, auto or passive.`,
  modeSet: (mode) => `Mode: ${mode}.`,
  languageAdminsOnly: 'Only chat administrators can change the language.',
  languageCurrent: (setting, replies) =>
    `Language: ${setting} (replies in ${replies === 'zh' ? 'Chinese' : 'English'}). Set it with /language en, /language zh or /language auto.`,
  languageUnknown: (wanted) => `Unknown language "${wanted}": use en, zh or auto.`,
  languageSet: (setting, replies) => `Language: ${setting} (replies in ${replies === 'zh' ? 'Chinese' : 'English'}).`,
  watchDiscordModeratorsOnly: 'Only moderators (Manage Server permission) can use the watchlist.',
  watchTelegramAdminsOnly: 'Only chat administrators can use the watchlist.',
  watchUsage: (platform, types) =>
    platform === 'discord'
      ? `Use /watch add entity:<name> or /watch add type:<${types.join('|')}>, /watch remove, /watch list.`
      : [
          'Watchlist commands (administrators):',
          '/watch add Taylor Swift: alert when this name is found',
          `/watch add type:PER: alert for every name of a type (${types.join(', ')})`,
          '/watch remove Taylor Swift (or type:PER)',
          '/watch list',
          '/watch alerts on|off: alerts in a private message (in a group: for that group; in a private chat: for every group you administer)',
        ].join('\n'),
  watchInputError: (problem, detail, types) =>
    problem === 'unknown-type'
      ? `Unknown entity type "${detail}": use one of ${types.join(', ')}.`
      : problem === 'too-long'
        ? `A watched name may have at most ${detail} characters.`
        : 'Say what to watch: a name (Taylor Swift) or a type (type:PER).',
  watchAdded: (e) => `Watching ${e}. Alerts go to the moderators when it is found in a message or an image.`,
  watchAlreadyWatched: (e) => `${e} is already on the watchlist.`,
  watchFull: (max) => `The watchlist is full (${max} entries): remove one first.`,
  watchRemoved: (e) => `${e} is no longer watched.`,
  watchNotWatched: (e) => `${e} is not on the watchlist.`,
  watchList: (entries, alertsTo) =>
    entries.length
      ? `Watchlist (${entries.length}):\n${entries.map((e) => `- ${e}`).join('\n')}\n${alertsTo}`
      : `The watchlist is empty.\n${alertsTo}`,
  watchDiscordAlertsTo: (c) => `Alerts go to ${c}.`,
  watchDiscordNoAlertChannel: 'No alert channel yet: set one with /ekmm-config alerts:#channel.',
  watchDiscordAlertChannelUnusable: (c) => `I cannot post in ${c}: alerts need a text channel of this server where I may write.`,
  watchTelegramAlertsTo: (n) =>
    n === 0
      ? 'No administrator gets alerts yet: send /watch alerts on.'
      : `${n} administrator${n === 1 ? '' : 's'} get${n === 1 ? 's' : ''} alerts in a private message.`,
  watchTelegramAlertsOn: (scope) =>
    scope === 'chat'
      ? 'You will get the watchlist alerts of this chat in a private message.'
      : 'You will get the watchlist alerts of every group you administer here, unless you turned them off in that group.',
  watchTelegramAlertsOff: (scope) =>
    scope === 'chat'
      ? 'You will no longer get the watchlist alerts of this chat.'
      : 'Alerts are off for every group you did not turn them on in.',
  watchAlert: (a) =>
    `🔔 Watched ${a.type} "${a.entity}" in ${a.where}, ${fromWhere(a, 'read from an image', 'in the text', 'in the text and an image')}.` +
    (a.link ? `\n${a.link}` : ''),
  telegramCommands: {
    stats: 'Top entities in this chat (administrators)',
    help: 'What the bot does and what it stores (privacy)',
    mode: 'mention, auto or passive: when the bot replies here (administrators)',
    language: 'en, zh or auto: the language of this chat (administrators)',
    dashboard: "A private link to this chat's statistics dashboard (administrators)",
    watch: 'Watchlist: add, remove, list, alerts on|off (administrators)',
  },
  discordCommands: {
    recognizeMessage: 'Recognize entities',
    entities: 'List the named entities in a text',
    entitiesText: 'Text to look at',
    help: 'What the bot does, its commands and what it stores (privacy)',
    dashboard: "A private link to this server's statistics dashboard (moderators)",
    stats: 'Top entities in this server (moderators)',
    statsDays: 'How many days back',
    statsChannel: 'Only this channel or forum (its threads included)',
    config: 'Configure the entity bot for this server (moderators)',
    configMode: 'When the bot replies',
    modeMention: 'mention: when mentioned',
    modeAuto: 'auto: every message with entities',
    modePassive: 'passive: never, statistics only',
    configEnable: 'Start reading this channel or forum (and its threads)',
    configDisable: 'Stop reading this channel or forum',
    configLanguage: 'Message language (recognition and replies)',
    languageAuto: 'auto',
    languageEnglish: 'English',
    languageChinese: 'Chinese',
    configAlerts: 'Post watchlist alerts (/watch) in this channel',
    watch: 'Watchlist: alerts when watched names are found (moderators)',
    watchAdd: 'Alert the moderators when a name or a type is found',
    watchRemove: 'Stop watching a name or a type',
    watchList: 'The watched names and types, and where alerts go',
    watchEntity: 'A name, e.g. Taylor Swift',
    watchType: 'Every name of this type',
  },
};

const ZH: BotTexts = {
  help: ({ platform, retentionDays }) =>
    [
      '我会找出消息和图片中的人名、地名、机构名和其他名称。',
      '',
      '命令：',
      ...(platform === 'discord'
        ? [
            '/entities text：列出一段文字中的名称（只有你能看到回答）',
            '“Recognize entities”（消息菜单）：列出一条消息中的名称',
            '/stats：本服务器最常出现的名称（管理员）',
            '/ekmm-config：模式、频道和语言（管理员）',
            '/watch add|remove|list：发现关注的名称（包括图片中）时提醒管理员（管理员；提醒发送到用 /ekmm-config alerts 设置的频道）',
          ]
        : [
            '/stats：本群最常出现的名称（管理员）',
            '/mode mention|auto|passive：我在本群何时回复（管理员）',
            '/language en|zh|auto：本群使用的语言（管理员）',
            '/watch add|remove|list，/watch alerts on|off：发现关注的名称（包括图片中）时私信提醒（管理员）',
          ]),
      '/dashboard：统计面板的私密链接（管理员）',
      '/help：显示本说明',
      '',
      '隐私：我只保存每个名称每天在每个频道中出现的次数。我不保存消息文字、图片或用户 ID。',
      ...(platform === 'telegram' ? ['关注提醒是例外：开启提醒（/watch alerts on）的管理员，其用户 ID 会保存到关闭提醒为止。'] : []),
      `统计数据保存 ${retentionDays} 天，之后删除。`,
      `如需立即删除本${platform === 'discord' ? '服务器' : '群'}的全部数据，请将机器人移出：统计数据和设置会立即删除。运营者也可以运行：ekmm stats --delete --community ID --yes`,
    ].join('\n'),
  imageTooLarge: (count, limit) =>
    count === 1 ? `这张图片太大，我无法读取（上限为 ${mib(limit)}）。` : `有 ${count} 张图片太大，我无法读取（上限为 ${mib(limit)}）。`,
  imagesPastLimit: (limit) => (limit === 0 ? '我在这里不读取图片。' : `只读取了前 ${limit} 张图片（每条消息最多读取 ${limit} 张）。`),
  imageUnreadable: (count) => (count === 1 ? '我无法读取这张图片：下载失败。' : `我无法读取 ${count} 张图片：下载失败。`),
  dashboardLink: (community, url, expiresAt) => `${community} 的统计面板（请勿分享此链接，有效期至 ${utc(expiresAt)}）：\n${url}`,
  dashboardModeratorsOnly: '只有管理员可以打开统计面板。',
  dashboardSentPrivately: '我已通过私信把统计面板链接发给你。',
  startPrivateChat: (bot, command) => `我无法主动给你发私信：请先打开与 @${bot} 的私聊并点击“开始”，然后在这里再次运行 ${command}。`,
  dashboardInGroup: '请在要查看的群里运行 /dashboard，我会把链接私信发给你。',
  statsSentPrivately: '我已通过私信把统计数据发给你。',
  noEntities: '没有找到命名实体。',
  moreOmitted: (count) => `……另有 ${count} 个`,
  statsHeading: ({ days, channel, community }) =>
    `${community ? `${community} ` : ''}最近 ${days} 天${channel ? ` #${channel} 频道` : ''}最常出现的名称`,
  statsEmpty: '这段时间还没有统计到名称。',
  statsModeratorsOnly: (platform) =>
    platform === 'discord' ? '只有管理员（“管理服务器”权限）可以查看统计数据。' : '只有群管理员可以查看统计数据。',
  configModeratorsOnly: '只有管理员（“管理服务器”权限）可以配置机器人。',
  configSummary: ({ mode, language, channels }) =>
    `模式：**${mode}**，语言：**${language}**，频道：${channels.length ? channels.join('、') : '无（用 /ekmm-config enable:#频道 启用一个）'}`,
  failed: '抱歉，我暂时无法读取这条消息，请稍后再试。',
  nothingToLookAt: '这条消息里没有可以读取的内容。',
  refusal: (reason, seconds) => {
    switch (reason) {
      case 'user_rate':
        return `你发消息的速度超过了我的处理速度，请在大约 ${seconds} 秒后再试。`;
      case 'community_rate':
        return `这里现在非常繁忙，我会跳过一些消息，请在大约 ${seconds} 秒后再试。`;
      case 'queue_full':
        return '我现在负载过高，没能读取这条消息，请稍后再试。';
    }
  },
  start: '给我发文字或图片，我会列出其中的人名、地名、机构名和其他名称。',
  modeInPrivate: '模式只适用于群组：在私聊中我总会回答。',
  modeAdminsOnly: '只有群管理员可以更改模式。',
  modeCurrent: (mode) => `模式：${mode}。可用 /mode mention、/mode auto 或 /mode passive 设置。`,
  modeUnknown: (wanted) => `未知模式“${wanted}”：请使用 mention、auto 或 passive。`,
  modeSet: (mode) => `模式：${mode}。`,
  languageAdminsOnly: '只有群管理员可以更改语言。',
  languageCurrent: (setting, replies) =>
    `语言：${setting}（用${replies === 'zh' ? '中文' : '英文'}回复）。可用 /language en、/language zh 或 /language auto 设置。`,
  languageUnknown: (wanted) => `未知语言“${wanted}”：请使用 en、zh 或 auto。`,
  languageSet: (setting, replies) => `语言：${setting}（用${replies === 'zh' ? '中文' : '英文'}回复）。`,
  watchDiscordModeratorsOnly: '只有管理员（“管理服务器”权限）可以使用关注列表。',
  watchTelegramAdminsOnly: '只有群管理员可以使用关注列表。',
  watchUsage: (platform, types) =>
    platform === 'discord'
      ? `用法：/watch add entity:<名称> 或 /watch add type:<${types.join('|')}>，/watch remove，/watch list。`
      : [
          '关注列表命令（管理员）：',
          '/watch add Taylor Swift：出现这个名称时提醒',
          `/watch add type:PER：某一类型的所有名称都提醒（${types.join('、')}）`,
          '/watch remove Taylor Swift（或 type:PER）',
          '/watch list',
          '/watch alerts on|off：通过私信接收提醒（在群里：只针对该群；在私聊中：针对你管理的所有群）',
        ].join('\n'),
  watchInputError: (problem, detail, types) =>
    problem === 'unknown-type'
      ? `未知的实体类型“${detail}”：请使用 ${types.join('、')} 之一。`
      : problem === 'too-long'
        ? `关注的名称最多 ${detail} 个字符。`
        : '请说明要关注什么：一个名称（Taylor Swift）或一个类型（type:PER）。',
  watchAdded: (e) => `已关注 ${e}。在消息或图片中发现它时，会提醒管理员。`,
  watchAlreadyWatched: (e) => `${e} 已在关注列表中。`,
  watchFull: (max) => `关注列表已满（${max} 项）：请先删除一项。`,
  watchRemoved: (e) => `已不再关注 ${e}。`,
  watchNotWatched: (e) => `${e} 不在关注列表中。`,
  watchList: (entries, alertsTo) =>
    entries.length
      ? `关注列表（${entries.length} 项）：\n${entries.map((e) => `- ${e}`).join('\n')}\n${alertsTo}`
      : `关注列表为空。\n${alertsTo}`,
  watchDiscordAlertsTo: (c) => `提醒发送到 ${c}。`,
  watchDiscordNoAlertChannel: '尚未设置提醒频道：请使用 /ekmm-config alerts:#频道 设置。',
  watchDiscordAlertChannelUnusable: (c) => `我无法在 ${c} 发消息：提醒需要本服务器中我可以发言的文字频道。`,
  watchTelegramAlertsTo: (n) => (n === 0 ? '还没有管理员接收提醒：请发送 /watch alerts on。' : `${n} 位管理员通过私信接收提醒。`),
  watchTelegramAlertsOn: (scope) =>
    scope === 'chat' ? '你将通过私信收到本群的关注提醒。' : '你将通过私信收到你管理的所有群的关注提醒（在某个群里关闭的除外）。',
  watchTelegramAlertsOff: (scope) => (scope === 'chat' ? '你将不再收到本群的关注提醒。' : '除了你在群里单独开启的，其他群的提醒都已关闭。'),
  watchAlert: (a) =>
    `🔔 关注的 ${a.type}“${a.entity}”出现在 ${a.where}，${fromWhere(a, '从图片中读到', '在文字中', '在文字和图片中')}。` +
    (a.link ? `\n${a.link}` : ''),
  telegramCommands: {
    stats: '本群最常出现的名称（管理员）',
    help: '机器人的功能和它保存的数据（隐私）',
    mode: 'mention、auto 或 passive：机器人在本群何时回复（管理员）',
    language: 'en、zh 或 auto：本群使用的语言（管理员）',
    dashboard: '本群统计面板的私密链接（管理员）',
    watch: '关注列表：add、remove、list、alerts on|off（管理员）',
  },
  discordCommands: {
    recognizeMessage: '识别实体',
    entities: '列出一段文字中的命名实体',
    entitiesText: '要识别的文字',
    help: '机器人的功能、命令和它保存的数据（隐私）',
    dashboard: '本服务器统计面板的私密链接（管理员）',
    stats: '本服务器最常出现的名称（管理员）',
    statsDays: '统计最近多少天',
    statsChannel: '只看这个频道或论坛（包括其中的子区）',
    config: '为本服务器配置实体机器人（管理员）',
    configMode: '机器人何时回复',
    modeMention: 'mention：被提及时',
    modeAuto: 'auto：每条含有实体的消息',
    modePassive: 'passive：从不回复，只做统计',
    configEnable: '开始读取这个频道或论坛（及其子区）',
    configDisable: '停止读取这个频道或论坛',
    configLanguage: '消息语言（识别和回复）',
    languageAuto: '自动',
    languageEnglish: '英文',
    languageChinese: '中文',
    configAlerts: '在这个频道发布关注提醒（/watch）',
    watch: '关注列表：发现关注的名称时提醒（管理员）',
    watchAdd: '发现某个名称或类型时提醒管理员',
    watchRemove: '不再关注某个名称或类型',
    watchList: '关注的名称和类型，以及提醒发送到哪里',
    watchEntity: '一个名称，例如 Taylor Swift',
    watchType: '这一类型的所有名称',
  },
};

const TABLE: Record<BotLanguage, BotTexts> = { en: EN, zh: ZH };

/** The reply language: the community's setting when it is en or zh, else the platform locale. */
export function botLanguage(setting: LanguageSetting | undefined, platformLocale: string | null | undefined): BotLanguage {
  if (setting === 'en' || setting === 'zh') return setting;
  return platformLocale?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function botTexts(language: BotLanguage): BotTexts {
  return TABLE[language];
}

export const BOT_LANGUAGES: readonly BotLanguage[] = ['en', 'zh'];
