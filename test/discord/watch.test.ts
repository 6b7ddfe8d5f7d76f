// Watchlists and alerts through the Discord emulator, with the real engine (intake + OCR): /watch
// by moderators only, an entity found only in an image gives one alert in the alert channel, a
// second within the window none, a restart keeps the list and the window, removal deletes both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app/app.ts';
import { startDiscord, type DiscordAdapter } from '../../adapters/discord/index.ts';
import { DiscordEmulator, type DcUser } from '../support/discord-emulator.ts';
import { chatTestConfig, drawPoster } from '../telegram/fixtures.ts';
import { memoryLogger } from '../support/logs.ts';
import { watchKeys } from '../../src/watch/index.ts';
import { until } from '../support/http-util.ts';

const STRING = 3;
const CHANNEL = 7;
const SUBCOMMAND = 1;
const dir = mkdtempSync(join(tmpdir(), 'ekmm-dc-watch-'));
const guild = {
  id: '700000000000000011',
  name: 'Watch Guild',
  channels: [
    { id: '710000000000000011', name: 'general' },
    { id: '710000000000000012', name: 'mod-alerts' },
  ],
};
const [general, alerts] = [guild.channels[0]!.id, guild.channels[1]!.id];
const other = { id: '700000000000000012', name: 'Other Guild', channels: [{ id: '710000000000000013', name: 'chat' }] };
const community = `discord:${guild.id}`;
const member: DcUser = { id: '800000000000000011', username: 'member' };
const mod: DcUser = { id: '800000000000000012', username: 'mod' };
const log = memoryLogger();
const config = chatTestConfig({ stats: { url: `sqlite://${join(dir, 'stats.sqlite')}` } });
let clock = Date.now();
let app: App;
let emu: DiscordEmulator;
let bot: DiscordAdapter;

async function open(): Promise<void> {
  const c = chatTestConfig({
    stats: { url: `sqlite://${join(dir, 'stats.sqlite')}` },
    discord: { apiBase: emu.apiBase, cdnHosts: [`${emu.cdnHost}:${emu.port}`] },
    intake: { allowPrivateAddresses: true },
  });
  app = await createApp(c, { now: () => new Date(clock) });
  bot = await startDiscord(app.host, c, { token: emu.token, settingsStore: app.settingsStore, logger: log.logger });
}

before(async () => {
  emu = await DiscordEmulator.start();
  emu.addGuild(guild);
  emu.addGuild(other);
  await open();
});

after(async () => {
  if (process.env.EKMM_TEST_DEBUG) console.error(log.messages().join('\n'));
  await bot?.stop();
  await emu?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

function watch(user: DcUser, sub: string, options: { name: string; value: string }[] = [], guildId = guild.id): Promise<string> {
  const id = emu.slashCommand({
    guildId,
    channelId: guildId === guild.id ? general : other.channels[0]!.id,
    user,
    name: 'watch',
    manageGuild: user === mod,
    options: [{ name: sub, type: SUBCOMMAND, options: options.map((o) => ({ ...o, type: STRING })) }],
  });
  return emu.waitForInteractionText(id);
}

const alertsSent = () => emu.botMessages.filter((m) => m.channel_id === alerts);

/** Posts a message whose only entity is drawn in its image, and waits until it was counted and its alerts decided. */
async function postImage(lines: string[], guildId = guild.id, channelId = general): Promise<string> {
  const before = await bot.stats.total(`discord:${guildId}`);
  const id = emu.postMessage({
    guildId,
    channelId,
    author: member,
    content: 'look at this',
    attachments: [{ filename: 'poster.jpg', bytes: await drawPoster(lines), contentType: 'image/jpeg' }],
  });
  await until(async () => (await bot.stats.total(`discord:${guildId}`)) > before, `message ${id} counted`, 60_000);
  await app.watch.idle();
  return id;
}

test('/watch is registered for moderators (Manage Server) with add, remove and list', () => {
  const cmd = emu.commands.find((c) => c.name === 'watch') as
    | { default_member_permissions?: string; options?: { name: string; type: number }[] }
    | undefined;
  assert.ok(cmd, 'the watch command is registered');
  assert.equal(cmd.default_member_permissions, '32');
  assert.deepEqual(
    cmd.options?.map((o) => [o.name, o.type]),
    [
      ['add', 1],
      ['remove', 1],
      ['list', 1],
    ],
  );
});

test('a member who is not a moderator cannot use /watch, and nothing is stored', async () => {
  assert.match(await watch(member, 'add', [{ name: 'entity', value: 'Angela Merkel' }]), /Only moderators/);
  assert.match(await watch(member, 'list'), /Only moderators/);
  assert.equal(await app.settingsStore.get(watchKeys.list(community)), undefined);
});

test('a moderator sets the alert channel and watches a name and a type', async () => {
  const setup = emu.slashCommand({
    guildId: guild.id,
    channelId: general,
    user: mod,
    name: 'ekmm-config',
    manageGuild: true,
    options: [
      // Passive: the bot never replies in the channel, but it counts, and so it alerts.
      { name: 'mode', type: STRING, value: 'passive' },
      { name: 'enable', type: CHANNEL, value: general },
      { name: 'alerts', type: CHANNEL, value: alerts },
    ],
  });
  assert.match(await emu.waitForInteractionText(setup), new RegExp(`Alerts go to <#${alerts}>`));
  assert.match(await watch(mod, 'add', [{ name: 'entity', value: 'angela  MERKEL' }]), /Watching angela MERKEL/);
  assert.match(
    await watch(mod, 'add', [{ name: 'entity', value: 'Angela Merkel' }]),
    /already on the watchlist/,
    'case variants are one entry',
  );
  assert.match(await watch(mod, 'add', [{ name: 'type', value: 'ORG' }]), /Watching type:ORG/);
  assert.match(await watch(mod, 'add', [{ name: 'type', value: 'WHAT' }]), /Unknown entity type "WHAT"/);
  const list = await watch(mod, 'list');
  assert.match(list, /Watchlist \(2\):\n- angela MERKEL\n- type:ORG/);
  assert.match(list, new RegExp(`Alerts go to <#${alerts}>`));
});

test('a watched name found only in an image gives one alert; a second within the window gives none', async () => {
  const first = await postImage(['Angela Merkel']);
  assert.equal(alertsSent().length, 1, 'one alert');
  const alert = alertsSent()[0]!.content;
  assert.match(alert, /Watched PER "Angela Merkel"/, 'names the entity as found, and its type');
  assert.match(alert, new RegExp(`in <#${general}>`), 'names the channel');
  assert.match(alert, /read from an image/);
  assert.ok(alert.includes(`https://discord.com/channels/${guild.id}/${general}/${first}`), alert);
  assert.deepEqual(emu.repliesTo(first), [], 'passive mode: no reply in the channel');

  await postImage(['Angela Merkel']);
  assert.equal(alertsSent().length, 1, 'a second alert for the same entity within the window is held back');
  assert.ok(app.watch.tally.limited >= 1);
  const metrics = await app.metrics.registry.metrics();
  assert.match(metrics, /ekmm_watch_alerts_total\{platform="discord",result="sent"\} 1/);
  assert.match(metrics, /ekmm_watch_alerts_total\{platform="discord",result="limited"\} 1/);
});

test('another guild finding the same name gets no alert (no watchlist there), and nothing reaches this guild', async () => {
  const setup = emu.slashCommand({
    guildId: other.id,
    channelId: other.channels[0]!.id,
    user: mod,
    name: 'ekmm-config',
    manageGuild: true,
    options: [
      { name: 'mode', type: STRING, value: 'passive' },
      { name: 'enable', type: CHANNEL, value: other.channels[0]!.id },
    ],
  });
  assert.match(await emu.waitForInteractionText(setup), /passive/);
  await postImage(['Angela Merkel'], other.id, other.channels[0]!.id);
  assert.equal(alertsSent().length, 1);
  assert.equal(emu.botMessages.filter((m) => m.channel_id === other.channels[0]!.id).length, 0);
});

test('after a restart the watchlist and the rate-limit window survive; once the window has passed it alerts again', async () => {
  await bot.stop();
  await app.close();
  await open();
  assert.match(await watch(mod, 'list'), /- angela MERKEL\n- type:ORG/);
  await postImage(['Angela Merkel']);
  assert.equal(alertsSent().length, 1, 'the window survived the restart');
  clock += (config.watch.alertWindowMinutes + 1) * 60_000;
  await postImage(['Angela Merkel']);
  assert.equal(alertsSent().length, 2, 'a new window, a new alert');
});

test('a message in a thread of the channel alerts with a link into the thread', async () => {
  clock += (config.watch.alertWindowMinutes + 1) * 60_000;
  const thread = emu.createThread(guild.id, { name: 'side talk', parentId: general });
  await new Promise((r) => setTimeout(r, 200)); // THREAD_CREATE reaches the client first
  const id = await postImage(['Angela Merkel'], guild.id, thread);
  assert.equal(alertsSent().length, 3);
  const alert = alertsSent()[2]!.content;
  assert.match(alert, new RegExp(`in <#${thread}>`));
  assert.ok(alert.includes(`https://discord.com/channels/${guild.id}/${thread}/${id}`), alert);
});

test('/watch remove takes a name off the list', async () => {
  assert.match(await watch(mod, 'remove', [{ name: 'entity', value: 'ANGELA MERKEL' }]), /ANGELA MERKEL is no longer watched/);
  assert.match(await watch(mod, 'remove', [{ name: 'entity', value: 'Angela Merkel' }]), /is not on the watchlist/);
  assert.match(await watch(mod, 'list'), /Watchlist \(1\):\n- type:ORG/);
});

test('removing the bot from the guild deletes its watchlist and alert state', async () => {
  const sentPrefix = watchKeys.sentPrefix(community);
  const keys = async (prefix: string) => {
    const out: string[] = [];
    for await (const [k] of app.settingsStore.iterate(prefix)) out.push(k);
    return out;
  };
  assert.ok((await keys(sentPrefix)).length > 0, 'an alert window is stored');
  assert.ok((await keys(watchKeys.messagePrefix(community))).length > 0, 'decided messages are stored');
  emu.removeGuild(guild.id);
  await until(async () => (await app.settingsStore.get(watchKeys.list(community))) === undefined, 'the watchlist deleted', 30_000);
  await until(async () => (await keys(sentPrefix)).length === 0, 'the alert windows deleted', 30_000);
  assert.deepEqual(await keys(watchKeys.messagePrefix(community)), []);
});
