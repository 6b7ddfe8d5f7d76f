// The Discord adapter against the REST + gateway emulator, with the real engine (intake + OCR).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app/app.ts';
import { startDiscord, type DiscordAdapter } from '../../adapters/discord/index.ts';
import { DiscordEmulator, type DcGuild, type DcUser } from '../support/discord-emulator.ts';
import { until, waitFor } from '../support/http-util.ts';
import { chatTestConfig, drawPoster } from '../telegram/fixtures.ts';
import { memoryLogger } from '../support/logs.ts';
import { dashboardTokens } from '../../src/stats/dashboard-token.ts';

const CHANNEL_STRING = 3;
const CHANNEL_OPTION = 7;
const INTEGER = 4;
const dir = mkdtempSync(join(tmpdir(), 'ekmm-dc-'));
const guild: DcGuild = {
  id: '700000000000000001',
  name: 'Test Guild',
  channels: [
    { id: '710000000000000001', name: 'general' },
    { id: '710000000000000002', name: 'quiet' },
    { id: '710000000000000004', name: 'ideas', type: 'forum' },
    { id: '710000000000000005', name: 'off-topic' },
  ],
  // A thread already active when the bot connects: discord.js learns it from GUILD_CREATE.
  threads: [{ id: '720000000000000001', name: 'release planning', parentId: '710000000000000001' }],
};
const [general, quiet, forum, offTopic] = guild.channels.map((c) => c.id) as [string, string, string, string];
const activeThread = guild.threads![0]!.id;
// A second guild whose preferred locale is Chinese: /help answers in Chinese there, and removing the bot deletes its data.
const zhGuild = {
  id: '700000000000000002',
  name: '中文服务器',
  preferredLocale: 'zh-CN',
  channels: [{ id: '710000000000000003', name: 'chat' }],
};
const zhChannel = zhGuild.channels[0]!.id;
// A Chinese community on an English-locale guild: its moderator picks Chinese with /ekmm-config.
const cnGuild: DcGuild = { id: '700000000000000003', name: '读书会', channels: [{ id: '710000000000000006', name: 'books' }] };
const cnChannel = cnGuild.channels[0]!.id;
const member: DcUser = { id: '800000000000000001', username: 'member' };
const mod: DcUser = { id: '800000000000000002', username: 'mod' };
const otherBot: DcUser = { id: '800000000000000003', username: 'spam-bot', bot: true };
const log = memoryLogger();
let app: App;
let emu: DiscordEmulator;
let bot: DiscordAdapter;
let start: () => Promise<DiscordAdapter>;

before(async () => {
  emu = await DiscordEmulator.start();
  emu.addGuild(guild);
  emu.addGuild(zhGuild);
  emu.addGuild(cnGuild);
  const config = chatTestConfig({
    stats: { url: `sqlite://${join(dir, 'stats.sqlite')}` },
    // The emulator's CDN is on loopback: host and port listed, private addresses allowed for it.
    discord: { apiBase: emu.apiBase, cdnHosts: [`${emu.cdnHost}:${emu.port}`] },
    intake: { allowPrivateAddresses: true },
  });
  app = await createApp(config);
  start = () => startDiscord(app.host, config, { token: emu.token, settingsStore: app.settingsStore, logger: log.logger });
  bot = await start();
});

after(async () => {
  if (process.env.EKMM_TEST_DEBUG) console.error(log.messages().join('\n'));
  await bot?.stop();
  await emu?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function configure(options: { name: string; type: number; value: string }[]): Promise<string> {
  const id = emu.slashCommand({ guildId: guild.id, channelId: general, user: mod, name: 'ekmm-config', options, manageGuild: true });
  return emu.waitForInteractionText(id);
}

test('once the gateway is ready the adapter counts as connected for /readyz', async () => {
  const report = await app.readiness.evaluate();
  assert.deepEqual(report.checks['adapter:discord'], { ok: true });
  assert.equal(report.ready, true, JSON.stringify(report));
});

test('connects with minimal intents and registers its commands', () => {
  assert.equal(emu.identifies[0]?.intents, 1 | (1 << 9) | (1 << 15), 'Guilds | GuildMessages | MessageContent');
  assert.deepEqual(emu.commands.map((c) => c.name).sort(), [
    'Recognize entities',
    'dashboard',
    'ekmm-config',
    'entities',
    'help',
    'stats',
    'watch',
  ]);
  const stats = emu.commands.find((c) => c.name === 'stats');
  assert.equal(stats?.default_member_permissions, '32', '/stats defaults to ManageGuild');
  const localized = stats as { description?: string; description_localizations?: Record<string, string> } | undefined;
  assert.equal(localized?.description, 'Top entities in this server (moderators)');
  assert.equal(localized?.description_localizations?.['zh-CN'], '本服务器最常出现的名称（管理员）', 'Chinese clients see Chinese');
});

test('/ekmm-config refuses members and lets a moderator enable a channel', async () => {
  const refused = emu.slashCommand({
    guildId: guild.id,
    channelId: general,
    user: member,
    name: 'ekmm-config',
    options: [{ name: 'mode', type: CHANNEL_STRING, value: 'auto' }],
  });
  assert.match(await emu.waitForInteractionText(refused), /Only moderators/);
  const text = await configure([
    { name: 'mode', type: CHANNEL_STRING, value: 'mention' },
    { name: 'enable', type: CHANNEL_OPTION, value: general },
  ]);
  assert.match(text, /Mode: \*\*mention\*\*/);
  assert.match(text, new RegExp(`<#${general}>`));
});

test('mention mode: an image attachment gets a reply with the entities read from it, marked 🖼', async () => {
  const poster = await drawPoster(['Barack Obama visits Paris']);
  const ignored = emu.postMessage({ guildId: guild.id, channelId: general, author: member, content: 'Google, no mention' });
  const id = emu.postMessage({
    guildId: guild.id,
    channelId: general,
    author: member,
    content: 'what is this?',
    mentionBot: true,
    attachments: [{ filename: 'poster.jpg', bytes: poster, contentType: 'image/jpeg' }],
  });
  const reply = await emu.waitForReply(id, 30_000);
  assert.match(reply.content, /\*\*PER\*\*: Barack Obama 🖼/);
  assert.match(reply.content, /\*\*LOC\*\*: Paris 🖼/);
  assert.deepEqual(reply.allowed_mentions, { parse: [], replied_user: false }, 'replies never ping');
  assert.deepEqual(emu.repliesTo(ignored), [], 'no mention, no reply');
});

test('attachments from hosts outside discord.cdnHosts, or over intake.maxBytes, are not fetched, are logged, and an oversized image is answered', async () => {
  const poster = await drawPoster(['Barack Obama']);
  const id = emu.postMessage({
    guildId: guild.id,
    channelId: general,
    author: member,
    content: 'look',
    mentionBot: true,
    attachments: [
      { filename: 'x.jpg', bytes: poster, contentType: 'image/jpeg', host: 'localhost' },
      { filename: 'huge.png', bytes: Buffer.alloc(20 * 1024 * 1024 + 1), contentType: 'image/png' },
    ],
  });
  const reply = await emu.waitForReply(id, 15_000);
  assert.equal(reply.content, 'This image is too large for me to read (the limit is 20 MiB).');
  assert.ok(
    log.messages().some((l) => /host localhost is not in discord\.cdnHosts/.test(l)),
    `host refusal logged: ${JSON.stringify(log.messages())}`,
  );
  assert.ok(
    log.messages().some((l) => /skipped: 20971521 bytes exceeds intake\.maxBytes/.test(l)),
    `size refusal logged: ${JSON.stringify(log.messages())}`,
  );
});

test('passive mode counts without replying; /stats refuses members and answers moderators', async () => {
  await configure([
    { name: 'mode', type: CHANNEL_STRING, value: 'passive' },
    { name: 'enable', type: CHANNEL_OPTION, value: quiet },
  ]);
  const before = await bot.stats.total(`discord:${guild.id}`);
  const ids = [
    emu.postMessage({ guildId: guild.id, channelId: quiet, author: member, content: 'Angela Merkel in Berlin', mentionBot: true }),
    emu.postMessage({ guildId: guild.id, channelId: quiet, author: member, content: 'Berlin again' }),
    emu.postMessage({ guildId: guild.id, channelId: quiet, author: otherBot, content: 'Berlin from a bot' }),
  ];
  const counted = async () => (await bot.stats.total(`discord:${guild.id}`)) - before;
  for (let i = 0; i < 200 && (await counted()) < 3; i++) await new Promise((r) => setTimeout(r, 25));
  await app.host.idle();
  assert.equal(await counted(), 3, 'Angela Merkel, Berlin, Berlin; the bot message is not counted');
  for (const id of ids) assert.deepEqual(emu.repliesTo(id), []);

  const refused = emu.slashCommand({ guildId: guild.id, channelId: general, user: member, name: 'stats' });
  assert.match(await emu.waitForInteractionText(refused), /Only moderators/);
  const answered = emu.slashCommand({
    guildId: guild.id,
    channelId: general,
    user: mod,
    name: 'stats',
    manageGuild: true,
    options: [
      { name: 'days', type: INTEGER, value: 3 },
      { name: 'channel', type: CHANNEL_OPTION, value: quiet },
    ],
  });
  const text = await emu.waitForInteractionText(answered);
  assert.match(text, /Top entities, last 3 days in #quiet/);
  // Surface forms (the most frequent spelling), as the dashboard shows them, not the folded keys.
  assert.match(text, /\*\*LOC\*\*: Berlin \(2\)/);
  assert.match(text, /\*\*PER\*\*: Angela Merkel \(1\)/);
  assert.doesNotMatch(text, /barack obama/i, 'the channel filter leaves #general out');
});

test('/entities and the message context menu answer with a deferred, edited reply', async () => {
  const slash = emu.slashCommand({
    guildId: guild.id,
    channelId: general,
    user: member,
    name: 'entities',
    options: [{ name: 'text', type: CHANNEL_STRING, value: 'Yahoo! and Google' }],
  });
  const text = await emu.waitForInteractionText(slash);
  assert.equal(emu.interactions.get(slash)?.callbacks[0]?.type, 5, 'deferred first');
  assert.match(text, /\*\*ORG\*\*: Google, Yahoo!|\*\*ORG\*\*: Yahoo!, Google/);
  const menu = emu.messageCommand({
    guildId: guild.id,
    channelId: general,
    user: member,
    name: 'Recognize entities',
    target: { author: otherBot, content: 'Paris and Berlin' },
  });
  assert.match(await emu.waitForInteractionText(menu), /\*\*LOC\*\*: Paris, Berlin/);
});

test('a dropped gateway is resumed and a 500 on send is retried', async () => {
  await configure([{ name: 'mode', type: CHANNEL_STRING, value: 'auto' }]);
  emu.dropGateway();
  await waitFor(() => (emu.resumes > 0 && emu.connectedSessions() > 0 ? true : undefined), 'the bot to resume', 15_000);
  emu.failNext(/^POST \/channels\/\d+\/messages$/, 500);
  const id = emu.postMessage({ guildId: guild.id, channelId: general, author: member, content: 'Google opened an office in Paris' });
  const reply = await emu.waitForReply(id, 20_000);
  assert.match(reply.content, /\*\*ORG\*\*: Google/);
  assert.ok(
    log.messages().some((l) => /lost its connection; reconnecting/.test(l)),
    'the disconnect was reported',
  );
  assert.ok(!log.raw().includes(emu.token), 'the token never appears in logs');
});

test('a 429 on send is waited out and retried', async () => {
  emu.failNext(/^POST \/channels\/\d+\/messages$/, 429, 0.3);
  const id = emu.postMessage({ guildId: guild.id, channelId: general, author: member, content: 'Angela Merkel' });
  const reply = await emu.waitForReply(id, 20_000);
  assert.match(reply.content, /\*\*PER\*\*: Angela Merkel/);
  assert.equal(emu.restCalls.filter((c) => /^POST \/channels\/\d+\/messages$/.test(c)).length >= 2, true);
  assert.ok(
    log.messages().some((l) => /rate limited/.test(l)),
    'the rate limit was reported',
  );
});

test('a restart keeps guild settings and counts', async () => {
  const total = await bot.stats.total(`discord:${guild.id}`);
  await bot.stop();
  bot = await start();
  assert.equal(await bot.stats.total(`discord:${guild.id}`), total);
  const s = await bot.settings.get(guild.id);
  assert.equal(s.mode, 'auto');
  assert.deepEqual(s.channels, [general, quiet].sort());
});

test('/help answers ephemerally with the privacy notice, in the guild locale (English, Chinese)', async () => {
  const en = emu.slashCommand({ guildId: guild.id, channelId: general, user: member, name: 'help' });
  const enText = await emu.waitForInteractionText(en);
  assert.equal(emu.interactions.get(en)?.callbacks[0]?.data?.flags, 64, 'ephemeral');
  assert.match(enText, /^\/entities text/m);
  assert.match(enText, /no message text, no images and no user ids/);
  assert.match(enText, /kept for 90 days/);
  assert.match(enText, /ekmm stats --delete --community ID --yes/);
  const zh = emu.slashCommand({ guildId: zhGuild.id, channelId: zhChannel, user: member, name: 'help' });
  const zhText = await emu.waitForInteractionText(zh);
  assert.match(zhText, /我不保存消息文字、图片或用户 ID/);
  assert.match(zhText, /统计数据保存 90 天/);
});

test('/dashboard gives a moderator an ephemeral link for that one guild, members nothing, and the link is never logged', async () => {
  const refused = emu.slashCommand({ guildId: guild.id, channelId: general, user: member, name: 'dashboard' });
  const refusedText = await emu.waitForInteractionText(refused);
  assert.equal(refusedText, 'Only moderators can open the dashboard.');
  const asked = emu.slashCommand({ guildId: guild.id, channelId: general, user: mod, name: 'dashboard', manageGuild: true });
  const text = await emu.waitForInteractionText(asked);
  assert.equal(emu.interactions.get(asked)?.callbacks[0]?.data?.flags, 64, 'ephemeral');
  const m = /(https?:\/\/\S+\/dashboard#t=(\S+))/.exec(text);
  assert.ok(m, text);
  const claims = dashboardTokens(process.env).verify(m[2]!);
  assert.equal(claims.communityId, `discord:${guild.id}`);
  assert.ok(claims.expiresAt.getTime() > Date.now() + 23 * 3_600_000, 'valid about 24 h');
  assert.ok(!log.raw().includes(m[2]!), 'the token is not logged');
});

test('removing the bot from a guild deletes its statistics and settings', async () => {
  const setup = emu.slashCommand({
    guildId: zhGuild.id,
    channelId: zhChannel,
    user: mod,
    name: 'ekmm-config',
    manageGuild: true,
    options: [
      { name: 'mode', type: CHANNEL_STRING, value: 'passive' },
      { name: 'enable', type: CHANNEL_OPTION, value: zhChannel },
    ],
  });
  // No language chosen: the answer follows the guild's zh-CN locale (a mode change stores no language).
  assert.equal(await emu.waitForInteractionText(setup), `模式：**passive**，语言：**en**，频道：<#${zhChannel}>`);
  emu.postMessage({ guildId: zhGuild.id, channelId: zhChannel, author: member, content: 'Barack Obama visits Paris' });
  const community = 'discord:700000000000000002';
  await until(async () => (await bot.stats.total(community)) > 0, 'the message counted', 30_000);
  assert.notEqual(await app.settingsStore.get(`discord:guild:v1:${zhGuild.id}`), undefined, 'settings stored');

  emu.removeGuild(zhGuild.id);
  await until(async () => (await bot.stats.total(community)) === 0, 'the statistics deleted');
  await until(async () => (await app.settingsStore.get(`discord:guild:v1:${zhGuild.id}`)) === undefined, 'the settings deleted');
  assert.ok((await bot.stats.total('discord:700000000000000001')) > 0, 'the other guild keeps its statistics');
  assert.deepEqual((await bot.settings.get(zhGuild.id)).channels, [], 'settings back to the defaults');
});

test('threads and forum posts are read like their parent channel, and counted under it', async () => {
  // The channel options accept forums: Discord would refuse a forum channel otherwise.
  const configCommand = emu.commands.find((c) => c.name === 'ekmm-config') as { options?: { name: string; channel_types?: number[] }[] };
  assert.deepEqual(configCommand.options?.find((o) => o.name === 'enable')?.channel_types, [0, 15], 'GuildText and GuildForum');
  const summary = await configure([
    { name: 'mode', type: CHANNEL_STRING, value: 'auto' },
    { name: 'enable', type: CHANNEL_OPTION, value: forum },
  ]);
  assert.match(summary, new RegExp(`<#${forum}>`));
  assert.doesNotMatch(summary, new RegExp(offTopic), '#off-topic stays off');
  const community = `discord:${guild.id}`;
  const before = await bot.stats.breakdown({ communityId: community, days: 1 });
  const countIn = (b: typeof before, channel: string) => b.channels.find((c) => c.channel === channel)?.count ?? 0;

  // A thread created now in #general, and the one that was active at connect time.
  const thread = emu.createThread(guild.id, { name: 'travel', parentId: general });
  const inThread = emu.postMessage({ guildId: guild.id, channelId: thread, author: member, content: 'Angela Merkel flew to Paris' });
  const threadReply = await emu.waitForReply(inThread, 20_000);
  assert.equal(threadReply.channel_id, thread, 'answered in the thread');
  assert.match(threadReply.content, /\*\*PER\*\*: Angela Merkel/);
  const inActive = emu.postMessage({ guildId: guild.id, channelId: activeThread, author: member, content: 'Google' });
  assert.match((await emu.waitForReply(inActive, 20_000)).content, /\*\*ORG\*\*: Google/);

  // A forum post: its thread lives under the forum, its starter message has the thread's id.
  const poster = await drawPoster(['Barack Obama visits Berlin']);
  const post = emu.createForumPost({
    guildId: guild.id,
    forumId: forum,
    title: 'Who was that?',
    author: member,
    content: 'seen downtown',
    attachments: [{ filename: 'poster.jpg', bytes: poster, contentType: 'image/jpeg' }],
  });
  assert.equal(post.messageId, post.threadId);
  const postReply = await emu.waitForReply(post.messageId, 30_000);
  assert.equal(postReply.channel_id, post.threadId);
  assert.match(postReply.content, /\*\*PER\*\*: Barack Obama 🖼/);

  // A thread under a channel nobody enabled is not read.
  const offThread = emu.createThread(guild.id, { name: 'chatter', parentId: offTopic });
  const ignored = emu.postMessage({ guildId: guild.id, channelId: offThread, author: member, content: 'Yahoo! in Berlin' });
  const marker = emu.postMessage({ guildId: guild.id, channelId: general, author: member, content: 'Paris' });
  await emu.waitForReply(marker, 20_000);
  await app.host.idle();
  assert.deepEqual(emu.repliesTo(ignored), []);

  // Counts (and the dashboard's per-channel breakdown) name the parent channel, never a thread.
  const after = await bot.stats.breakdown({ communityId: community, days: 1 });
  assert.equal(countIn(after, general) - countIn(before, general), 4, 'Angela Merkel, Paris (thread), Google (active thread), Paris');
  assert.equal(countIn(after, forum) - countIn(before, forum), 2, 'Barack Obama, Berlin from the forum post image');
  for (const id of [thread, activeThread, post.threadId, offThread, offTopic])
    assert.equal(countIn(after, id), 0, `nothing counted under ${id}`);
  const asked = emu.slashCommand({
    guildId: guild.id,
    channelId: activeThread,
    user: mod,
    name: 'stats',
    manageGuild: true,
    options: [{ name: 'channel', type: CHANNEL_OPTION, value: forum }],
  });
  const text = await emu.waitForInteractionText(asked);
  assert.match(text, /Top entities, last 7 days in #ideas/);
  assert.match(text, /\*\*PER\*\*: Barack Obama \(1\)/);
  assert.doesNotMatch(text, /Merkel|Google/, 'only the forum’s posts');
});

test('a Chinese community: once a moderator picks zh, every fixed reply is in Chinese', async () => {
  const ask = (user: DcUser, name: string, options: { name: string; type: number; value: string | number }[] = [], manageGuild = false) =>
    emu.waitForInteractionText(emu.slashCommand({ guildId: cnGuild.id, channelId: cnChannel, user, name, options, manageGuild }));
  // Before the choice the guild's en-US locale decides.
  assert.equal(await ask(member, 'ekmm-config'), 'Only moderators (Manage Server permission) can configure the bot.');
  const summary = await ask(
    mod,
    'ekmm-config',
    [
      { name: 'language', type: CHANNEL_STRING, value: 'zh' },
      { name: 'mode', type: CHANNEL_STRING, value: 'mention' },
      { name: 'enable', type: CHANNEL_OPTION, value: cnChannel },
    ],
    true,
  );
  assert.equal(summary, `模式：**mention**，语言：**zh**，频道：<#${cnChannel}>`);
  assert.equal(await ask(member, 'ekmm-config'), '只有管理员（“管理服务器”权限）可以配置机器人。');
  assert.equal(await ask(member, 'stats'), '只有管理员（“管理服务器”权限）可以查看统计数据。');
  assert.equal(await ask(member, 'dashboard'), '只有管理员可以打开统计面板。');
  assert.match(await ask(member, 'help'), /我不保存消息文字、图片或用户 ID/);
  assert.equal(await ask(member, 'entities', [{ name: 'text', type: CHANNEL_STRING, value: 'nothing here' }]), '没有找到命名实体。');
  assert.equal(await ask(member, 'entities', [{ name: 'text', type: CHANNEL_STRING, value: '   ' }]), '这条消息里没有可以读取的内容。');

  const nothing = emu.postMessage({ guildId: cnGuild.id, channelId: cnChannel, author: member, content: '你好', mentionBot: true });
  assert.equal((await emu.waitForReply(nothing)).content, '没有找到命名实体。');
  const huge = emu.postMessage({
    guildId: cnGuild.id,
    channelId: cnChannel,
    author: member,
    content: 'Berlin',
    mentionBot: true,
    attachments: [{ filename: 'huge.png', bytes: Buffer.alloc(20 * 1024 * 1024 + 1), contentType: 'image/png' }],
  });
  assert.equal((await emu.waitForReply(huge)).content, '**LOC**: Berlin\n这张图片太大，我无法读取（上限为 20 MiB）。');
  await app.host.idle();
  const stats = await ask(mod, 'stats', [], true);
  assert.equal(stats, '**最近 7 天最常出现的名称**\n**LOC**: Berlin (1)');
});
