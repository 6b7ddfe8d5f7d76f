// Telegram's message entities reach the core as hints: a text_mention is a person by the
// platform's word (reported as PER, backend "hints"), a mention is kept as a handle. Real engine
// (local tagger), Bot API emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import type { RecognitionExecutor } from '../../src/host/index.ts';
import type { Message, Recognition } from '../../src/core/types.ts';
import { startTelegram, type TelegramAdapter } from '../../adapters/telegram/index.ts';
import { TelegramEmulator, type TgChat, type TgUser } from '../support/telegram-emulator.ts';
import { chatTestConfig } from './fixtures.ts';

const alice: TgUser = { id: 601, is_bot: false, first_name: 'Alice' };
const dm: TgChat = { id: 601, type: 'private' };
let app: App;
let emu: TelegramEmulator;
let bot: TelegramAdapter;
const seen: Array<{ message: Message; recognition: Recognition }> = [];

before(async () => {
  const config = chatTestConfig({ ocr: { backend: 'none' }, recognizer: { backends: ['local'], fallback: 'none' } });
  emu = await TelegramEmulator.start();
  // The engine behind the adapter, watched: the Message the adapter built and what came back.
  app = await createApp(config, {
    executor: ({ engine }): RecognitionExecutor => ({
      kind: 'watched',
      recognize: async (message: Message) => {
        const recognition = await engine.recognize(message);
        seen.push({ message, recognition });
        return recognition;
      },
    }),
  });
  bot = await startTelegram(app.host, config, { token: emu.token, apiRoot: emu.apiRoot });
});

after(async () => {
  await bot?.stop();
  await emu?.close();
  await app?.close();
});

test('text_mention and mention entities become hints; the text_mention is a person, offsets exact even after trimming', async () => {
  // Leading spaces: the processor trims the text, the hint offsets must follow.
  const text = '  met ivan petrov and @jdoe_99 in Berlin 😍';
  const start = text.indexOf('ivan petrov');
  const handle = text.indexOf('@jdoe_99');
  const id = emu.sendText(dm, alice, text, [
    {
      type: 'text_mention',
      offset: start,
      length: 'ivan petrov'.length,
      user: { id: 777, is_bot: false, first_name: 'Ivan', last_name: 'Petrov' },
    },
    { type: 'mention', offset: handle, length: '@jdoe_99'.length },
  ]);
  const reply = await emu.waitForReply(id, 20_000);
  const { message, recognition } = seen.find((s) => s.message.messageId === String(id))!;
  const trimmed = text.trim();
  assert.equal(message.text, trimmed);
  assert.deepEqual(message.hints?.spans, [
    { kind: 'text_mention', start: start - 2, end: start - 2 + 11, name: 'Ivan Petrov' },
    { kind: 'mention', start: handle - 2, end: handle - 2 + 8 },
  ]);
  const entities = recognition.entities.map((e) => [e.type, e.text, e.backend, e.display ?? null, trimmed.slice(e.start, e.end)]);
  assert.deepEqual(entities, [
    ['PER', 'ivan petrov', 'hints', 'Ivan Petrov', 'ivan petrov'],
    ['LOC', 'Berlin', 'local', null, 'Berlin'],
  ]);
  assert.match(reply.plain, /PER: Ivan Petrov/);
  assert.match(reply.plain, /LOC: Berlin/);
});

test('the bot’s own @mention is taken out of the text recognition gets, and the spans after it move exactly', async () => {
  // Emoji are two UTF-16 units: offsets must be counted in the units Telegram uses.
  const text = '😍 @EKMM_test_bot met ivan petrov, @jdoe_99 and @ekmm_test_bot in Berlin';
  const bot1 = text.indexOf('@EKMM_test_bot');
  const person = text.indexOf('ivan petrov');
  const handle = text.indexOf('@jdoe_99');
  const bot2 = text.indexOf('@ekmm_test_bot');
  const id = emu.sendText(dm, alice, text, [
    { type: 'mention', offset: bot1, length: 14 },
    { type: 'text_mention', offset: person, length: 11, user: { id: 778, is_bot: false, first_name: 'Ivan', last_name: 'Petrov' } },
    { type: 'mention', offset: handle, length: 8 },
    { type: 'mention', offset: bot2, length: 14 },
  ]);
  const reply = await emu.waitForReply(id, 20_000);
  const { message, recognition } = seen.find((s) => s.message.messageId === String(id))!;
  const expected = '😍  met ivan petrov, @jdoe_99 and  in Berlin';
  assert.equal(message.text, expected);
  assert.deepEqual(message.hints?.spans, [
    { kind: 'text_mention', start: expected.indexOf('ivan petrov'), end: expected.indexOf('ivan petrov') + 11, name: 'Ivan Petrov' },
    { kind: 'mention', start: expected.indexOf('@jdoe_99'), end: expected.indexOf('@jdoe_99') + 8 },
  ]);
  for (const e of recognition.entities) assert.doesNotMatch(e.text, /ekmm/i, 'the bot is not an entity');
  assert.ok(recognition.entities.some((e) => e.type === 'PER' && message.text.slice(e.start, e.end) === 'ivan petrov'));
  assert.match(reply.plain, /PER: Ivan Petrov/);
  assert.match(reply.plain, /LOC: Berlin/);
});

test('a message that is only the bot’s @mention is not sent to recognition', async () => {
  const before = seen.length;
  const id = emu.sendText(dm, alice, '@ekmm_test_bot', [{ type: 'mention', offset: 0, length: 14 }]);
  const marker = emu.sendText(dm, alice, 'Berlin');
  await emu.waitForReply(marker, 20_000);
  assert.deepEqual(emu.repliesTo(id), []);
  assert.equal(seen.slice(before).filter((s) => s.message.messageId === String(id)).length, 0);
});

test('/language sets the recognition language of the chat too', async () => {
  const chat: TgChat = { id: -100700, type: 'group', title: 'Lang' };
  emu.setAdministrators(chat.id, [alice.id]);
  const first = emu.sendText(chat, alice, 'Berlin');
  await emu.waitForReply(first, 20_000);
  assert.equal(seen.find((s) => s.message.messageId === String(first))?.message.language, undefined, 'the config language until chosen');
  assert.equal((await emu.waitForReply(emu.sendText(chat, alice, '/language zh'))).plain, '语言：zh（用中文回复）。');
  const second = emu.sendText(chat, alice, '柏林 Berlin');
  await emu.waitForReply(second, 20_000);
  assert.equal(seen.find((s) => s.message.messageId === String(second))?.message.language, 'zh');
});
