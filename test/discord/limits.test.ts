// The rate-limit answer on Discord is in the guild's language: a zh-CN guild, one user over
// guards.perUserPerMinute. Discord emulator, real engine (gazetteer recognizer).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import { startDiscord, type DiscordAdapter } from '../../adapters/discord/index.ts';
import { DiscordEmulator, type DcGuild, type DcUser } from '../support/discord-emulator.ts';
import { chatTestConfig } from '../telegram/fixtures.ts';

const STRING = 3;
const CHANNEL = 7;
const guild: DcGuild = {
  id: '700000000000000009',
  name: '快聊',
  preferredLocale: 'zh-CN',
  channels: [{ id: '710000000000000009', name: 'chat' }],
};
const channel = guild.channels[0]!.id;
const fast: DcUser = { id: '800000000000000009', username: 'fast' };
const mod: DcUser = { id: '800000000000000010', username: 'mod' };
let app: App;
let emu: DiscordEmulator;
let bot: DiscordAdapter;

before(async () => {
  emu = await DiscordEmulator.start();
  emu.addGuild(guild);
  const config = chatTestConfig({ discord: { apiBase: emu.apiBase }, guards: { perUserPerMinute: 2 } });
  app = await createApp(config);
  bot = await startDiscord(app.host, config, { token: emu.token, settingsStore: app.settingsStore });
});

after(async () => {
  await bot?.stop();
  await emu?.close();
  await app?.close();
});

test('a user over the rate limit is told so in the guild’s language', async () => {
  const setup = emu.slashCommand({
    guildId: guild.id,
    channelId: channel,
    user: mod,
    name: 'ekmm-config',
    manageGuild: true,
    options: [
      { name: 'mode', type: STRING, value: 'auto' },
      { name: 'enable', type: CHANNEL, value: channel },
    ],
  });
  assert.match(await emu.waitForInteractionText(setup), /^模式：\*\*auto\*\*/);
  for (const content of ['Paris', 'Berlin']) {
    const id = emu.postMessage({ guildId: guild.id, channelId: channel, author: fast, content });
    assert.match((await emu.waitForReply(id)).content, /^\*\*LOC\*\*: /);
  }
  const refused = emu.postMessage({ guildId: guild.id, channelId: channel, author: fast, content: 'Google', mentionBot: true });
  assert.match((await emu.waitForReply(refused)).content, /^你发消息的速度超过了我的处理速度，请在大约 \d+ 秒后再试。$/);
});
