// Images the Discord bot does not read are never downloaded and are named in the reply: past
// limits.imagesPerMessage ("only the first N images were read") and downloads that fail. The real
// adapter and engine (intake + OCR) against the REST + gateway + CDN emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, type App } from '../../src/app/app.ts';
import { startDiscord, type DiscordAdapter } from '../../adapters/discord/index.ts';
import { DiscordEmulator, type DcUser } from '../support/discord-emulator.ts';
import { chatTestConfig, drawPoster } from '../telegram/fixtures.ts';
import { memoryLogger } from '../support/logs.ts';

const guild = { id: '700000000000000031', name: 'Image Guild', channels: [{ id: '710000000000000031', name: 'general' }] };
const general = guild.channels[0]!.id;
const member: DcUser = { id: '800000000000000031', username: 'member' };
const mod: DcUser = { id: '800000000000000032', username: 'mod' };
const log = memoryLogger();
let app: App;
let emu: DiscordEmulator;
let bot: DiscordAdapter;

before(async () => {
  emu = await DiscordEmulator.start();
  emu.addGuild(guild);
  const config = chatTestConfig({
    discord: { apiBase: emu.apiBase, cdnHosts: [`${emu.cdnHost}:${emu.port}`] },
    intake: { allowPrivateAddresses: true },
    limits: { imagesPerMessage: 2 },
  });
  app = await createApp(config);
  bot = await startDiscord(app.host, config, { token: emu.token, settingsStore: app.settingsStore, logger: log.logger });
  const id = emu.slashCommand({
    guildId: guild.id,
    channelId: general,
    user: mod,
    name: 'ekmm-config',
    options: [
      { name: 'mode', type: 3, value: 'auto' },
      { name: 'enable', type: 7, value: general },
    ],
    manageGuild: true,
  });
  await emu.waitForInteractionText(id);
});

after(async () => {
  await bot?.stop();
  await emu?.close();
  await app?.close();
});

test('past limits.imagesPerMessage the images are not downloaded, and the reply says only the first N were read', async () => {
  const posters = await Promise.all([['Barack Obama'], ['Paris'], ['Angela Merkel'], ['Berlin']].map((l) => drawPoster(l)));
  const fetched = emu.attachmentFetches.length;
  const id = emu.postMessage({
    guildId: guild.id,
    channelId: general,
    author: member,
    content: 'four pictures',
    attachments: posters.map((bytes, i) => ({ filename: `p${i}.jpg`, bytes, contentType: 'image/jpeg' })),
  });
  const reply = await emu.waitForReply(id, 60_000);
  assert.deepEqual(
    emu.attachmentFetches.slice(fetched).map((p) => p.split('/').pop()),
    ['p0.jpg', 'p1.jpg'],
    'only the first two images were fetched',
  );
  assert.match(reply.content, /Barack Obama/);
  assert.match(reply.content, /Paris/);
  assert.doesNotMatch(reply.content, /Angela Merkel|Berlin/, 'the images past the limit were not read');
  assert.match(reply.content, /Only the first 2 images were read \(I read at most 2 per message\)\.$/);
});

test('an image whose download fails gets a reply saying it could not be read, not silence', async () => {
  emu.failAttachments = true;
  try {
    const id = emu.postMessage({
      guildId: guild.id,
      channelId: general,
      author: member,
      content: '',
      attachments: [{ filename: 'broken.jpg', bytes: await drawPoster(['Barack Obama']), contentType: 'image/jpeg' }],
    });
    const reply = await emu.waitForReply(id, 30_000);
    assert.equal(reply.content, 'I could not read this image: it could not be downloaded.');
  } finally {
    emu.failAttachments = false;
  }
});
