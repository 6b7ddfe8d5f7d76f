// Discord's resolved mentions reach the tagger as hints: the adapter reads msg.mentions (members'
// display names, role and channel names) from the emulated gateway, and the local tagger reads
// the names in place of the <@id> markup. Real engine (local tagger), REST + gateway emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import type { RecognitionExecutor } from '../../src/host/index.ts';
import type { Message, Recognition } from '../../src/core/types.ts';
import { startDiscord, type DiscordAdapter } from '../../adapters/discord/index.ts';
import { DiscordEmulator, type DcUser } from '../support/discord-emulator.ts';
import { chatTestConfig } from '../telegram/fixtures.ts';

const guild = {
  id: '700000000000000101',
  name: 'Hints Guild',
  channels: [{ id: '710000000000000101', name: 'general' }],
  roles: [{ id: '720000000000000101', name: 'Real Madrid fans' }],
};
const general = guild.channels[0]!.id;
const member: DcUser = { id: '800000000000000101', username: 'member' };
const serena: DcUser = { id: '800000000000000102', username: 'sw_tennis' };
const plain: DcUser = { id: '800000000000000103', username: 'roger.f' };
const mod: DcUser = { id: '800000000000000104', username: 'mod' };

let emu: DiscordEmulator;
let app: App;
let bot: DiscordAdapter;
const seen: Array<{ message: Message; recognition: Recognition }> = [];

before(async () => {
  emu = await DiscordEmulator.start();
  emu.addGuild(guild);
  const config = chatTestConfig({
    ocr: { backend: 'none' },
    recognizer: { backends: ['local'], fallback: 'none' },
    discord: { apiBase: emu.apiBase, cdnHosts: [emu.cdnHost] },
  });
  // The adapter's engine, watched: the Message it builds and what came back.
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
  bot = await startDiscord(app.host, config, { token: emu.token, settingsStore: app.settingsStore });
  const id = emu.slashCommand({
    guildId: guild.id,
    channelId: general,
    user: mod,
    name: 'ekmm-config',
    manageGuild: true,
    options: [
      { name: 'mode', type: 3, value: 'auto' },
      { name: 'enable', type: 7, value: general },
    ],
  });
  await emu.waitForInteractionText(id);
});

after(async () => {
  await bot?.stop();
  await emu?.close();
  await app?.close();
});

test('mentions resolved by Discord become hints: members by display name, roles and channels by name; the reply names them', async () => {
  const content = `so proud of <@${serena.id}> and <@!${plain.id}> in <#${general}>, go <@&${guild.roles[0]!.id}> <:pog:998877>`;
  const id = emu.postMessage({
    guildId: guild.id,
    channelId: general,
    author: member,
    content,
    mentions: [
      { user: serena, nick: 'Serena Williams' },
      { user: plain, globalName: 'Roger Federer' },
    ],
    mentionRoles: [guild.roles[0]!.id],
  });
  const reply = await emu.waitForReply(id, 20_000);
  const { message, recognition } = seen.find((s) => s.message.messageId === id)!;
  assert.deepEqual(message.hints?.mentions, [
    { kind: 'user', id: serena.id, name: 'Serena Williams' },
    { kind: 'user', id: plain.id, name: 'Roger Federer' },
    { kind: 'role', id: guild.roles[0]!.id, name: 'Real Madrid fans' },
    { kind: 'channel', id: general, name: 'general' },
  ]);
  const people = recognition.entities.filter((e) => e.type === 'PER');
  assert.deepEqual(
    people.map((e) => [e.text, e.display, content.slice(e.start, e.end)]),
    [
      [`<@${serena.id}>`, 'Serena Williams', `<@${serena.id}>`],
      [`<@!${plain.id}>`, 'Roger Federer', `<@!${plain.id}>`],
    ],
  );
  assert.match(reply.content, /\*\*PER\*\*: Serena Williams, Roger Federer/);
});

test('a mention Discord did not resolve stays a handle and is not guessed at', async () => {
  const content = 'thanks <@800000000000000999> for the tickets to Paris';
  const id = emu.postMessage({ guildId: guild.id, channelId: general, author: member, content });
  await emu.waitForReply(id, 20_000);
  const { message, recognition } = seen.find((s) => s.message.messageId === id)!;
  assert.equal(message.hints, undefined);
  assert.deepEqual(
    recognition.entities.map((e) => [e.type, e.text]),
    [['LOC', 'Paris']],
  );
});
