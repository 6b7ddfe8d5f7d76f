// Watchlists and alerts through the Telegram Bot API emulator, with the real engine (intake +
// OCR): /watch by administrators only, alerts privately to the administrators who opted in
// (in the group or in a private chat), one per entity per window, surviving a restart, deleted
// when the bot is removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app/app.ts';
import { startTelegram, type TelegramAdapter } from '../../adapters/telegram/index.ts';
import { telegramMessageLink } from '../../adapters/telegram/watch.ts';
import { TelegramEmulator, type SentMessage, type TgChat, type TgUser } from '../support/telegram-emulator.ts';
import { chatTestConfig, drawPoster } from './fixtures.ts';
import { memoryLogger } from '../support/logs.ts';
import { watchKeys } from '../../src/watch/index.ts';
import { until } from '../support/http-util.ts';

const dir = mkdtempSync(join(tmpdir(), 'ekmm-tg-watch-'));
const config = chatTestConfig({ stats: { url: `sqlite://${join(dir, 'stats.sqlite')}` } });
const member: TgUser = { id: 601, is_bot: false, first_name: 'Mia' };
const ada: TgUser = { id: 602, is_bot: false, first_name: 'Ada', language_code: 'en' };
const li: TgUser = { id: 603, is_bot: false, first_name: 'Li', language_code: 'zh-hans' };
const quiet: TgUser = { id: 604, is_bot: false, first_name: 'Quinn' };
const group: TgChat = { id: -1001234567890, type: 'supergroup', title: 'Watchers' };
const otherGroup: TgChat = { id: -1009876543210, type: 'supergroup', title: 'Elsewhere' };
const community = `telegram:${group.id}`;
const log = memoryLogger();
let clock = Date.now();
let app: App;
let emu: TelegramEmulator;
let bot: TelegramAdapter;

async function open(): Promise<void> {
  app = await createApp(config, { now: () => new Date(clock) });
  bot = await startTelegram(app.host, config, {
    token: emu.token,
    apiRoot: emu.apiRoot,
    logger: log.logger,
    settingsStore: app.settingsStore,
  });
}

before(async () => {
  emu = await TelegramEmulator.start();
  emu.setAdministrators(group.id, [ada.id, li.id, quiet.id]);
  // Li administers the other group too, and opts in for all her groups: she must still get only
  // the alerts of groups whose watchlist names the entity.
  emu.setAdministrators(otherGroup.id, [li.id]);
  await open();
});

after(async () => {
  if (process.env.EKMM_TEST_DEBUG) console.error(log.messages().join('\n'));
  await bot?.stop();
  await emu?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function command(chat: TgChat, from: TgUser, text: string): Promise<string> {
  const id = emu.sendText(chat, from, text);
  return (await emu.waitForReply(id)).plain;
}

/** Private messages (not replies) the bot sent to a user. */
const privateTo = (user: TgUser): SentMessage[] => emu.sent.filter((m) => m.chat_id === user.id && m.reply_to === undefined);
const alertsTo = (user: TgUser) => privateTo(user).filter((m) => m.plain.startsWith('🔔'));

/** A photo whose only entity is drawn in it; waits until it was counted and its alerts decided. */
async function postPhoto(lines: string[], chat = group): Promise<number> {
  const before = await bot.stats.total(`telegram:${chat.id}`);
  const id = emu.sendPhoto(chat, member, await drawPoster(lines), 'look at this');
  await until(async () => (await bot.stats.total(`telegram:${chat.id}`)) > before, `photo ${id} counted`, 60_000);
  await app.watch.idle();
  return id;
}

test('a member who is not an administrator cannot use /watch', async () => {
  assert.match(await command(group, member, '/watch add Angela Merkel'), /Only chat administrators/);
  assert.match(await command(group, member, '/watch alerts on'), /Only chat administrators/);
  assert.equal(await app.settingsStore.get(watchKeys.list(community)), undefined);
});

test('administrators watch a name and a type, and opt in to alerts in the group or privately', async () => {
  assert.match(await command(group, ada, '/watch add Angela Merkel'), /Watching Angela Merkel/);
  assert.match(await command(group, ada, '/watch add ANGELA MERKEL'), /already on the watchlist/);
  assert.match(await command(group, ada, '/watch add type:ORG'), /Watching type:ORG/);
  assert.match(await command(group, ada, '/watch add type:NOPE'), /Unknown entity type "NOPE"/);
  assert.match(await command(group, ada, '/watch'), /\/watch add Taylor Swift/, 'usage');
  // Ada in the group: a private confirmation (the bot may write to her), and the group hears it too.
  assert.match(await command(group, ada, '/watch alerts on'), /alerts of this chat in a private message/);
  assert.equal(privateTo(ada).length, 1, 'the confirmation went privately');
  // Li privately, in Chinese: for every group she administers.
  assert.match(await command({ id: li.id, type: 'private' }, li, '/watch alerts on'), /你管理的所有群/);
  const list = await command(group, ada, '/watch list');
  assert.match(list, /Watchlist \(2\):\n- Angela Merkel\n- type:ORG/);
});

test('a watched name found only in a photo alerts each opted-in administrator privately, once per window', async () => {
  const id = await postPhoto(['Angela Merkel']);
  assert.equal(alertsTo(ada).length, 1);
  const alert = alertsTo(ada)[0]!.plain;
  assert.match(alert, /Watched PER "Angela Merkel" in "Watchers", read from an image/);
  assert.ok(alert.includes(telegramMessageLink(group, String(id))!), alert);
  assert.ok(alert.includes(`https://t.me/c/1234567890/${id}`), alert);
  assert.equal(alertsTo(li).length, 1, 'Li opted in for all her groups');
  assert.match(alertsTo(li)[0]!.plain, /关注的 PER“Angela Merkel”出现在 "Watchers"，从图片中读到/);
  assert.equal(alertsTo(quiet).length, 0, 'Quinn never opted in');
  assert.equal(alertsTo(member).length, 0, 'members get nothing');

  await postPhoto(['Angela Merkel']);
  assert.equal(alertsTo(ada).length, 1, 'no second alert within the window');
  assert.equal(alertsTo(li).length, 1);
});

test('the same name in another group Li administers gives no alert: that group watches nothing', async () => {
  await postPhoto(['Angela Merkel'], otherGroup);
  assert.equal(alertsTo(li).length, 1);
});

test('after a restart the watchlist, the opt-ins and the window survive; past the window it alerts again', async () => {
  await bot.stop();
  await app.close();
  await open();
  assert.match(await command(group, ada, '/watch list'), /- Angela Merkel\n- type:ORG/);
  await postPhoto(['Angela Merkel']);
  assert.equal(alertsTo(ada).length, 1, 'the window survived');
  clock += (config.watch.alertWindowMinutes + 1) * 60_000;
  await postPhoto(['Angela Merkel']);
  assert.equal(alertsTo(ada).length, 2);
  assert.equal(alertsTo(li).length, 2);
});

test('an administrator turns alerts off for the group; /watch remove takes a name off', async () => {
  assert.match(await command(group, li, '/watch alerts off'), /不再收到本群/);
  assert.match(await command(group, ada, '/watch remove angela merkel'), /angela merkel is no longer watched/);
  assert.match(await command(group, ada, '/watch remove Angela Merkel'), /is not on the watchlist/);
  assert.match(await command(group, ada, '/watch list'), /Watchlist \(1\):\n- type:ORG\n1 administrator gets alerts/);
  // Li turns alerts off privately: nothing with her user id is kept any more.
  assert.match(await command({ id: li.id, type: 'private' }, li, '/watch alerts off'), /提醒都已关闭/);
  assert.equal(await app.settingsStore.get(watchKeys.telegramAdmin(li.id)), undefined);
  assert.equal((await app.watch.watchlists.get(community)).alertAdmins?.[String(li.id)], undefined);
});

test('removing the bot from the chat deletes its watchlist and alert state', async () => {
  const keys = async (prefix: string) => {
    const out: string[] = [];
    for await (const [k] of app.settingsStore.iterate(prefix)) out.push(k);
    return out;
  };
  assert.ok((await keys(watchKeys.sentPrefix(community))).length > 0);
  emu.changeBotMembership(group, ada, 'kicked');
  await until(async () => (await app.settingsStore.get(watchKeys.list(community))) === undefined, 'the watchlist deleted', 30_000);
  await until(async () => (await keys(watchKeys.sentPrefix(community))).length === 0, 'the alert windows deleted', 30_000);
  assert.deepEqual(await keys(watchKeys.messagePrefix(community)), []);
});

test('message links: public supergroups by username, private ones as t.me/c, none for basic groups', () => {
  assert.equal(telegramMessageLink({ id: -1001, username: 'chatname' }, '5'), 'https://t.me/chatname/5');
  assert.equal(telegramMessageLink({ id: -1001234 }, '7'), 'https://t.me/c/1234/7');
  assert.equal(telegramMessageLink({ id: -4321 }, '7'), undefined);
});
