// Images the Telegram bot does not read get a short reply instead of silence: a photo whose
// download fails, and photos past limits.imagesPerMessage (never downloaded). The real adapter
// and host against the Bot API emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import { startTelegram, type TelegramAdapter } from '../../adapters/telegram/index.ts';
import { TelegramEmulator, type TgChat, type TgUser } from '../support/telegram-emulator.ts';
import { chatTestConfig, drawPoster } from './fixtures.ts';
import { memoryLogger } from '../support/logs.ts';

const dm: TgChat = { id: 601, type: 'private' };
const group: TgChat = { id: -100600, type: 'supergroup', title: 'Pictures' };
const alice: TgUser = { id: 601, is_bot: false, first_name: 'Alice', language_code: 'en' };
const li: TgUser = { id: 602, is_bot: false, first_name: 'Li', language_code: 'zh-hans' };

interface Bot {
  app: App;
  emu: TelegramEmulator;
  bot: TelegramAdapter;
}
const bots: Bot[] = [];

async function startBot(limits: Record<string, unknown>): Promise<Bot> {
  const config = chatTestConfig({ limits });
  const app = await createApp(config);
  const emu = await TelegramEmulator.start();
  const bot = await startTelegram(app.host, config, { token: emu.token, apiRoot: emu.apiRoot, logger: memoryLogger().logger });
  const started = { app, emu, bot };
  bots.push(started);
  return started;
}

let reading: Bot;
let noImages: Bot;
before(async () => {
  reading = await startBot({});
  noImages = await startBot({ imagesPerMessage: 0 });
});

after(async () => {
  for (const { bot, emu, app } of bots) {
    await bot.stop();
    await emu.close();
    await app.close();
  }
});

test('a photo whose download fails gets a reply saying the image could not be read, in a group too', async () => {
  const { emu } = reading;
  emu.failFileDownloads = true;
  try {
    const before = emu.fileDownloads;
    const id = emu.sendPhoto(group, alice, await drawPoster(['Barack Obama']));
    const reply = await emu.waitForReply(id, 30_000);
    assert.equal(reply.plain, 'I could not read this image: it could not be downloaded.');
    assert.ok(emu.fileDownloads > before, 'the download was tried');
    // With a caption, the caption's entities come with the note.
    const captioned = emu.sendPhoto(dm, alice, await drawPoster(['Berlin']), 'Paris');
    const both = await emu.waitForReply(captioned, 30_000);
    assert.match(both.plain, /Paris/);
    assert.match(both.plain, /I could not read this image: it could not be downloaded\.$/);
    // In the sender's language.
    const zh = emu.sendPhoto(dm, li, await drawPoster(['Barack Obama']));
    assert.equal((await emu.waitForReply(zh, 30_000)).plain, '我无法读取这张图片：下载失败。');
  } finally {
    emu.failFileDownloads = false;
  }
});

test('a photo past limits.imagesPerMessage is not downloaded, and the reply says so', async () => {
  const { emu } = noImages;
  const id = emu.sendPhoto(dm, alice, await drawPoster(['Barack Obama']), 'Paris');
  const reply = await emu.waitForReply(id, 30_000);
  assert.match(reply.plain, /Paris/);
  assert.match(reply.plain, /I do not read images here\.$/);
  assert.equal(emu.fileDownloads, 0, 'no file was downloaded');
  assert.ok(!emu.calls.includes('getFile'), 'not even its link was asked for');
});
