// The Telegram adapter against the Bot API emulator, with the real engine (intake + OCR).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app/app.ts';
import { startTelegram, type TelegramAdapter } from '../../adapters/telegram/index.ts';
import { TelegramEmulator, type SentMessage, type TgChat, type TgUser } from '../support/telegram-emulator.ts';
import { until, waitFor } from '../support/http-util.ts';
import { chatTestConfig, drawPoster } from './fixtures.ts';
import { memoryLogger } from '../support/logs.ts';
import { dashboardTokens } from '../../src/stats/dashboard-token.ts';

const dir = mkdtempSync(join(tmpdir(), 'ekmm-tg-'));
const config = chatTestConfig({ stats: { url: `sqlite://${join(dir, 'stats.sqlite')}` } });
const alice: TgUser = { id: 501, is_bot: false, first_name: 'Alice' };
const admin: TgUser = { id: 502, is_bot: false, first_name: 'Ada' };
const otherBot: TgUser = { id: 503, is_bot: true, first_name: 'Spam' };
const dm: TgChat = { id: 501, type: 'private' };
const group: TgChat = { id: -100200, type: 'supergroup', title: 'Friends' };
const log = memoryLogger();
let app: App;
let emu: TelegramEmulator;
let bot: TelegramAdapter;

const start = () =>
  startTelegram(app.host, config, { token: emu.token, apiRoot: emu.apiRoot, logger: log.logger, settingsStore: app.settingsStore });

before(async () => {
  app = await createApp(config);
  emu = await TelegramEmulator.start();
  emu.setAdministrators(group.id, [admin.id]);
  bot = await start();
});

after(async () => {
  await bot?.stop();
  await emu?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The next message the bot sends to a user's private chat (after the ones already seen). */
let seenPrivate = 0;
async function privateAnswer(userId: number): Promise<SentMessage> {
  const found = await waitFor(
    () => emu.sent.slice(seenPrivate).find((m) => m.chat_id === userId && m.reply_to === undefined),
    `a private message to ${userId}`,
  );
  seenPrivate = emu.sent.indexOf(found) + 1;
  return found;
}

test('a photo in a private chat gets a MarkdownV2 reply listing entities read from the image', async () => {
  const photo = await drawPoster(['Barack Obama visits Paris']);
  const id = emu.sendPhoto(dm, alice, photo);
  const reply = await emu.waitForReply(id, 30_000);
  assert.equal(reply.chat_id, dm.id);
  assert.equal(reply.parse_mode, 'MarkdownV2');
  assert.match(reply.plain, /PER: Barack Obama 🖼/);
  assert.match(reply.plain, /LOC: Paris 🖼/);
  assert.ok(emu.calls.includes('getFile'), 'the photo was fetched through getFile');
});

test('captioned image documents and text with reserved MarkdownV2 characters', async () => {
  const doc = await drawPoster(['Angela Merkel in Berlin']);
  const id = emu.sendDocument(group, alice, doc, 'poster.jpg', 'image/jpeg', 'Seen at Google.');
  const reply = await emu.waitForReply(id, 30_000);
  assert.match(reply.plain, /PER: Angela Merkel 🖼/);
  assert.match(reply.plain, /LOC: Berlin 🖼/);
  assert.match(reply.plain, /ORG: Google$/m, 'caption entities are not marked as from the image');

  const textId = emu.sendText(group, alice, 'Yahoo! and the C++ Users Group met (again).');
  const textReply = await emu.waitForReply(textId);
  // The emulator refuses unescaped reserved characters exactly as Telegram does.
  assert.match(textReply.plain, /ORG: Yahoo!, C\+\+ Users Group/);
  assert.match(textReply.text, /Yahoo\\!/);
});

test('bots and empty messages are ignored; plain text without entities gets no reply in groups', async () => {
  const fromBot = emu.sendText(group, otherBot, 'Barack Obama');
  const noEntities = emu.sendText(group, alice, 'nothing to see here');
  const marker = emu.sendText(group, alice, 'Paris again');
  await emu.waitForReply(marker);
  assert.deepEqual(emu.repliesTo(fromBot), []);
  assert.deepEqual(emu.repliesTo(noEntities), []);
});

test('a 429 on sendMessage is retried after retry_after', async () => {
  emu.failNext('sendMessage', 429, 1);
  const id = emu.sendText(dm, alice, 'Google');
  const reply = await emu.waitForReply(id, 10_000);
  assert.match(reply.plain, /ORG: Google/);
  assert.ok(
    log.messages().some((l) => /sendMessage failed .*retry 1/.test(l)),
    'the retry was reported',
  );
  assert.ok(!log.raw().includes(emu.token), 'the token never appears in logs');
});

test('/stats refuses a member and answers an administrator', async () => {
  const refused = emu.sendText(group, alice, '/stats');
  assert.match((await emu.waitForReply(refused)).plain, /Only chat administrators/);
  const answered = emu.sendText(group, admin, '/stats 30');
  assert.equal((await emu.waitForReply(answered)).plain, 'I sent you the statistics in a private message.');
  const reply = await privateAnswer(admin.id);
  assert.equal(reply.parse_mode, 'MarkdownV2');
  assert.match(reply.plain, /Top entities in Friends, last 30 days/);
  assert.match(reply.plain, /LOC: Berlin \(1\), Paris \(1\)/, 'surface forms, not folded keys');
  assert.match(reply.plain, /PER: Angela Merkel \(1\)/);
  assert.doesNotMatch(reply.plain, /barack obama/i, 'the private chat and the bot message are not counted here');
});

test('counts survive a restart of the adapter (sqlite statistics)', async () => {
  await bot.stop();
  bot = await start();
  const answered = emu.sendText(group, admin, '/stats');
  await emu.waitForReply(answered);
  const reply = await privateAnswer(admin.id);
  assert.match(reply.plain, /ORG: C\+\+ Users Group \(1\), Google \(1\), Yahoo! \(1\)/);
  assert.equal(await bot.stats.total('telegram:-100200'), 6);
});

test('webhook mode: updates arrive by POST with the secret header; forged posts are refused', async () => {
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const hookConfig = chatTestConfig({ telegram: { mode: 'webhook', webhook: { domain: 'bot.example.test', path: '/tg-hook', port } } });
  const hooked = await startTelegram(app.host, hookConfig, {
    token: emu.token,
    apiRoot: emu.apiRoot,
    webhookHost: '127.0.0.1',
    logger: log.logger,
  });
  try {
    assert.equal(emu.webhook?.url, 'https://bot.example.test/tg-hook');
    assert.match(emu.webhook?.secret ?? '', /^[0-9a-f]{64}$/);
    emu.webhookDeliverTo = `http://127.0.0.1:${port}/tg-hook`;
    const id = emu.sendText(dm, alice, 'Berlin and Paris');
    assert.match((await emu.waitForReply(id)).plain, /LOC: Berlin, Paris/);
    const forged = await fetch(`http://127.0.0.1:${port}/tg-hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ update_id: 1, message: { message_id: 999, date: 0, chat: dm, from: alice, text: 'Paris' } }),
    });
    assert.equal(forged.status, 403);
  } finally {
    emu.webhook = undefined;
    emu.webhookDeliverTo = undefined;
    await hooked.stop();
  }
});

test('an unreachable Bot API: retries are logged and the start-up error is thrown without the token', async () => {
  const { createServer } = await import('node:net');
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const token = '654321:SECRET-must-not-be-logged';
  const lines = memoryLogger();
  const failure = await startTelegram(app.host, config, { token, apiRoot: `http://127.0.0.1:${closedPort}`, logger: lines.logger }).then(
    () => assert.fail('startTelegram should fail when the Bot API cannot be reached'),
    (err: unknown) => err as Error,
  );
  assert.ok(
    lines.messages().some((l) => /getMe failed/.test(l)),
    `retries were logged: ${JSON.stringify(lines.messages())}`,
  );
  for (const text of [lines.raw(), failure.message, failure.stack ?? '']) assert.doesNotMatch(text, /SECRET-must-not-be-logged/);
});

test('/help gives the privacy notice in the user language (English, Chinese)', async () => {
  const en = emu.sendText(group, alice, '/help');
  const enReply = await emu.waitForReply(en);
  assert.match(enReply.plain, /^\/stats: the top names in this chat/m);
  assert.match(enReply.plain, /no message text, no images and no user ids/);
  assert.match(enReply.plain, /kept for 90 days/);
  assert.match(enReply.plain, /ekmm stats --delete --community ID --yes/);
  const zh = emu.sendText(dm, { ...alice, language_code: 'zh-hans' }, '/help');
  const zhReply = await emu.waitForReply(zh);
  assert.match(zhReply.plain, /我不保存消息文字、图片或用户 ID/);
  assert.match(zhReply.plain, /统计数据保存 90 天/);
  assert.ok(emu.calls.includes('setMyCommands'));
});

test('a photo over intake.maxBytes is not downloaded and gets a reply saying it is too large', async () => {
  const before = emu.calls.filter((c) => c === 'getFile').length;
  const id = emu.sendPhoto(group, alice, Buffer.alloc(20 * 1024 * 1024 + 1));
  const reply = await emu.waitForReply(id, 15_000);
  assert.equal(reply.plain, 'This image is too large for me to read (the limit is 20 MiB).');
  assert.equal(emu.calls.filter((c) => c === 'getFile').length, before, 'the oversized photo was not fetched');
});

test('removing the bot from a chat deletes that chat’s statistics', async () => {
  const other: TgChat = { id: -100300, type: 'group', title: 'Other' };
  const marker = emu.sendText(other, alice, 'Paris');
  await emu.waitForReply(marker);
  await until(async () => (await bot.stats.total('telegram:-100300')) > 0, 'the other chat counted');
  const kept = await bot.stats.total('telegram:-100200');
  assert.ok(kept > 0);
  emu.changeBotMembership(group, admin, 'administrator');
  emu.changeBotMembership(group, admin, 'kicked');
  await until(async () => (await bot.stats.total('telegram:-100200')) === 0, 'the kicked chat’s statistics deleted');
  emu.changeBotMembership(other, alice, 'left');
  await until(async () => (await bot.stats.total('telegram:-100300')) === 0, 'the left chat’s statistics deleted');
  assert.ok(log.messages().some((l) => /telegram chat -100200 removed the bot \(kicked\)/.test(l)));
});

test('/dashboard: the link goes to the administrator’s private chat, the group only hears that; members get nothing', async () => {
  const chat: TgChat = { id: -100400, type: 'supergroup', title: 'Mods' };
  const shy: TgUser = { id: 504, is_bot: false, first_name: 'Shy' };
  emu.setAdministrators(chat.id, [admin.id, shy.id]);
  emu.neverStarted(shy.id);

  const refused = emu.sendText(chat, alice, '/dashboard');
  assert.equal((await emu.waitForReply(refused)).plain, 'Only moderators can open the dashboard.');

  const asked = emu.sendText(chat, admin, '/dashboard');
  assert.equal((await emu.waitForReply(asked)).plain, 'I sent you a private message with the dashboard link.');
  const privateMsg = emu.sent.find((m) => m.chat_id === admin.id && m.text.includes('/dashboard#t='));
  assert.ok(privateMsg, 'the link was sent to the administrator privately');
  const token = /\/dashboard#t=(\S+)/.exec(privateMsg.text)![1]!;
  assert.equal(dashboardTokens(process.env).verify(token).communityId, 'telegram:-100400');
  assert.ok(!emu.sent.some((m) => m.chat_id === chat.id && m.text.includes(token)), 'the link never goes to the group');

  const shyAsked = emu.sendText(chat, shy, '/dashboard');
  assert.match((await emu.waitForReply(shyAsked)).plain, /open a private chat with @ekmm_test_bot, press Start/);
  assert.ok(!emu.sent.some((m) => m.chat_id === shy.id));
  const shyStats = emu.sendText(chat, shy, '/stats');
  assert.match((await emu.waitForReply(shyStats)).plain, /press Start, then run \/stats here again/);

  const inPrivate = emu.sendText(dm, alice, '/dashboard');
  assert.match((await emu.waitForReply(inPrivate)).plain, /Run \/dashboard in the group/);
  assert.ok(!log.raw().includes(token), 'the token is not logged');
});

test('/mode: administrators set mention, auto or passive per chat; it persists and goes when the bot is removed', async () => {
  const chat: TgChat = { id: -100500, type: 'supergroup', title: 'Modes' };
  emu.setAdministrators(chat.id, [admin.id]);
  const refused = emu.sendText(chat, alice, '/mode passive');
  assert.equal((await emu.waitForReply(refused)).plain, 'Only chat administrators can change the mode.');
  const bad = emu.sendText(chat, admin, '/mode loud');
  assert.match((await emu.waitForReply(bad)).plain, /Unknown mode "loud"/);

  assert.equal((await emu.waitForReply(emu.sendText(chat, admin, '/mode passive'))).plain, 'Mode: passive.');
  const quiet = emu.sendText(chat, alice, 'Angela Merkel in Berlin');
  await until(async () => (await bot.stats.total('telegram:-100500')) >= 2, 'passive mode still counts');
  assert.deepEqual(emu.repliesTo(quiet), [], 'passive mode never replies');

  assert.equal((await emu.waitForReply(emu.sendText(chat, admin, '/mode mention'))).plain, 'Mode: mention.');
  await bot.stop();
  bot = await start();
  const ignored = emu.sendText(chat, alice, 'Paris is lovely');
  const addressed = emu.sendText(chat, alice, '@ekmm_test_bot what about Google?', [{ type: 'mention', offset: 0, length: 14 }]);
  assert.match((await emu.waitForReply(addressed)).plain, /ORG: Google/);
  assert.deepEqual(emu.repliesTo(ignored), [], 'mention mode (kept across the restart) ignores messages that do not name the bot');
  assert.match((await emu.waitForReply(emu.sendText(chat, admin, '/mode'))).plain, /^Mode: mention\./);
  assert.notEqual(await app.settingsStore.get('telegram:chat:v1:-100500'), undefined);

  emu.changeBotMembership(chat, admin, 'kicked');
  await until(async () => (await app.settingsStore.get('telegram:chat:v1:-100500')) === undefined, 'the chat settings deleted');
  assert.equal(await bot.stats.total('telegram:-100500'), 0);
});

test('/language: administrators set a Chinese community; every fixed reply follows it, it persists, auto goes back to the sender’s language', async () => {
  const chat: TgChat = { id: -100600, type: 'supergroup', title: '中文群' };
  const boss: TgUser = { id: 506, is_bot: false, first_name: 'Wang', language_code: 'en' };
  emu.setAdministrators(chat.id, [boss.id]);
  // Not chosen yet: the sender's Telegram language decides.
  assert.match(
    (await emu.waitForReply(emu.sendText(chat, alice, '/language zh'))).plain,
    /^Only chat administrators can change the language\.$/,
  );
  assert.match((await emu.waitForReply(emu.sendText(chat, boss, '/language klingon'))).plain, /Unknown language "klingon"/);
  assert.equal((await emu.waitForReply(emu.sendText(chat, boss, '/language zh'))).plain, '语言：zh（用中文回复）。');
  assert.equal((await app.settingsStore.get<{ language?: string }>('telegram:chat:v1:-100600'))?.language, 'zh');

  // The chat's choice outranks the senders' English Telegram.
  assert.equal((await emu.waitForReply(emu.sendText(chat, alice, '/stats'))).plain, '只有群管理员可以查看统计数据。');
  assert.equal((await emu.waitForReply(emu.sendText(chat, alice, '/mode auto'))).plain, '只有群管理员可以更改模式。');
  assert.equal((await emu.waitForReply(emu.sendText(chat, boss, '/mode auto'))).plain, '模式：auto。');
  assert.match((await emu.waitForReply(emu.sendText(chat, alice, '/help'))).plain, /我不保存消息文字、图片或用户 ID/);
  assert.equal((await emu.waitForReply(emu.sendText(chat, alice, '/dashboard'))).plain, '只有管理员可以打开统计面板。');
  const found = await emu.waitForReply(emu.sendText(chat, alice, 'Angela Merkel in Berlin'));
  assert.match(found.plain, /PER: Angela Merkel/);
  const huge = emu.sendPhoto(chat, alice, Buffer.alloc(20 * 1024 * 1024 + 1));
  assert.equal((await emu.waitForReply(huge, 15_000)).plain, '这张图片太大，我无法读取（上限为 20 MiB）。');

  // /stats goes to the administrator privately, headed in the chat's language, entities by surface form.
  assert.equal((await emu.waitForReply(emu.sendText(chat, boss, '/stats'))).plain, '我已通过私信把统计数据发给你。');
  const stats = await privateAnswer(boss.id);
  assert.match(stats.plain, /^中文群 最近 7 天最常出现的名称\n/);
  assert.match(stats.plain, /LOC: Berlin \(1\)/);

  // Kept across a restart; /language auto hands the replies back to each sender's language.
  await bot.stop();
  bot = await start();
  assert.equal(
    (await emu.waitForReply(emu.sendText(chat, boss, '/language'))).plain,
    '语言：zh（用中文回复）。可用 /language en、/language zh 或 /language auto 设置。',
  );
  assert.equal((await emu.waitForReply(emu.sendText(chat, boss, '/language auto'))).plain, 'Language: auto (replies in English).');
  assert.equal((await emu.waitForReply(emu.sendText(chat, alice, '/stats'))).plain, 'Only chat administrators can see statistics.');
  const zhUser = { ...alice, language_code: 'zh-hans' };
  assert.equal((await emu.waitForReply(emu.sendText(chat, zhUser, '/stats'))).plain, '只有群管理员可以查看统计数据。');
});

test('the command menu is registered in English and in Chinese', () => {
  const names = (language: string) => emu.commandMenus.get(language)?.map((c) => c.command);
  assert.deepEqual(names(''), ['stats', 'help', 'mode', 'language', 'dashboard', 'watch']);
  assert.deepEqual(names('zh'), names(''));
  assert.match(emu.commandMenus.get('zh')!.find((c) => c.command === 'language')!.description, /本群使用的语言/);
});
