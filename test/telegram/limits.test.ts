// Limits a Telegram user is told about, in the chat's language. Telegram's own download limit:
// getFile refuses files over 20 MiB ("file is too big") whatever intake.maxBytes allows; with
// intake.maxBytes raised past it, such a photo is answered like one over our own limit, not only
// logged. The per-user rate limit's answer. Bot API emulator, real engine (gazetteer recognizer).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import { startTelegram, type TelegramAdapter } from '../../adapters/telegram/index.ts';
import { GETFILE_MAX_BYTES, TelegramEmulator, type TgChat, type TgUser } from '../support/telegram-emulator.ts';
import { chatTestConfig } from './fixtures.ts';
import { memoryLogger } from '../support/logs.ts';

const alice: TgUser = { id: 801, is_bot: false, first_name: 'Alice' };
const zhUser: TgUser = { id: 802, is_bot: false, first_name: 'Li', language_code: 'zh-hans' };
const group: TgChat = { id: -100800, type: 'supergroup', title: 'Photos' };
const log = memoryLogger();
let app: App;
let emu: TelegramEmulator;
let bot: TelegramAdapter;

before(async () => {
  const config = chatTestConfig({ intake: { maxBytes: 30 * 1024 * 1024 }, guards: { perUserPerMinute: 2 } });
  app = await createApp(config);
  emu = await TelegramEmulator.start();
  bot = await startTelegram(app.host, config, { token: emu.token, apiRoot: emu.apiRoot, logger: log.logger });
});

after(async () => {
  await bot?.stop();
  await emu?.close();
  await app?.close();
});

test('a photo over the Bot API’s 20 MiB getFile limit (under intake.maxBytes) gets the “too large” reply, with the caption’s entities', async () => {
  const big = Buffer.alloc(GETFILE_MAX_BYTES + 1);
  const id = emu.sendPhoto(group, alice, big, 'Sunset over Paris');
  const reply = await emu.waitForReply(id, 15_000);
  assert.equal(reply.plain, 'LOC: Paris\nThis image is too large for me to read (the limit is 20 MiB).');
  assert.ok(emu.calls.includes('getFile'), 'asked: only the Bot API knows its limit for sure');
  assert.ok(log.messages().some((l) => /not downloaded: Bad Request: file is too big/.test(l)));

  const alone = emu.sendPhoto(group, zhUser, big);
  assert.equal((await emu.waitForReply(alone, 15_000)).plain, '这张图片太大，我无法读取（上限为 20 MiB）。');
});

test('the rate-limit answer is in the chat’s language (a Chinese community)', async () => {
  const chat: TgChat = { id: -100801, type: 'supergroup', title: '快' };
  const fast: TgUser = { id: 803, is_bot: false, first_name: 'Fast', language_code: 'en' };
  emu.setAdministrators(chat.id, [fast.id]);
  assert.equal((await emu.waitForReply(emu.sendText(chat, fast, '/language zh'))).plain, '语言：zh（用中文回复）。');
  for (const text of ['Paris', 'Berlin']) assert.match((await emu.waitForReply(emu.sendText(chat, fast, text))).plain, /^LOC: /);
  const refused = await emu.waitForReply(emu.sendText(chat, fast, 'Google'));
  assert.match(refused.plain, /^你发消息的速度超过了我的处理速度，请在大约 \d+ 秒后再试。$/);
});
