// The bots' fixed reply texts in one table, English and Chinese. The language is the
// community's setting when it names one (en/zh), otherwise the platform's locale (Discord
// guild preferredLocale, Telegram language_code): anything starting with "zh" is Chinese.
import type { LanguageSetting } from '../../src/core/types.ts';

export type BotLanguage = 'en' | 'zh';

export interface HelpContext {
  platform: 'discord' | 'telegram';
  retentionDays: number;
}

interface BotTexts {
  help(ctx: HelpContext): string;
  imageTooLarge(count: number, limitBytes: number): string;
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
}

const mib = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;

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
          ]
        : [
            '/stats: the top names in this chat (administrators)',
            '/mode mention|auto|passive: when I reply in this group (administrators)',
          ]),
      '/dashboard: a private link to the statistics dashboard (moderators)',
      '/help: this text',
      '',
      'Privacy: I store only how often each name was found, per day and channel. I store no message text, no images and no user ids.',
      `Counts are kept for ${retentionDays} days, then deleted.`,
      `To delete everything about this ${platform === 'discord' ? 'server' : 'chat'} now, remove the bot from it: its statistics and settings are deleted at once. The operator can also run: ekmm stats --delete --community ID --yes`,
    ].join('\n'),
  imageTooLarge: (count, limit) =>
    count === 1
      ? `This image is too large for me to read (the limit is ${mib(limit)}).`
      : `${count} images are too large for me to read (the limit is ${mib(limit)}).`,
  dashboardLink: (community, url, expiresAt) =>
    `Dashboard for ${community} (do not share this link; it works until ${utc(expiresAt)}):\n${url}`,
  dashboardModeratorsOnly: 'Only moderators can open the dashboard.',
  dashboardSentPrivately: 'I sent you a private message with the dashboard link.',
  startPrivateChat: (bot, command) =>
    `I cannot write to you first: open a private chat with @${bot}, press Start, then run ${command} here again.`,
  dashboardInGroup: 'Run /dashboard in the group whose dashboard you want; I will send the link here.',
  statsSentPrivately: 'I sent you the statistics in a private message.',
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
          ]
        : ['/stats：本群最常出现的名称（管理员）', '/mode mention|auto|passive：我在本群何时回复（管理员）']),
      '/dashboard：统计面板的私密链接（管理员）',
      '/help：显示本说明',
      '',
      '隐私：我只保存每个名称每天在每个频道中出现的次数。我不保存消息文字、图片或用户 ID。',
      `统计数据保存 ${retentionDays} 天，之后删除。`,
      `如需立即删除本${platform === 'discord' ? '服务器' : '群'}的全部数据，请将机器人移出：统计数据和设置会立即删除。运营者也可以运行：ekmm stats --delete --community ID --yes`,
    ].join('\n'),
  imageTooLarge: (count, limit) =>
    count === 1 ? `这张图片太大，我无法读取（上限为 ${mib(limit)}）。` : `有 ${count} 张图片太大，我无法读取（上限为 ${mib(limit)}）。`,
  dashboardLink: (community, url, expiresAt) => `${community} 的统计面板（请勿分享此链接，有效期至 ${utc(expiresAt)}）：\n${url}`,
  dashboardModeratorsOnly: '只有管理员可以打开统计面板。',
  dashboardSentPrivately: '我已通过私信把统计面板链接发给你。',
  startPrivateChat: (bot, command) => `我无法主动给你发私信：请先打开与 @${bot} 的私聊并点击“开始”，然后在这里再次运行 ${command}。`,
  dashboardInGroup: '请在要查看的群里运行 /dashboard，我会把链接私信发给你。',
  statsSentPrivately: '我已通过私信把统计数据发给你。',
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
