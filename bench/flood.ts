// Flood benchmark: N messages (text and photos mixed, photos reused so the OCR cache answers
// after the first) through the Telegram emulator and the real adapter + engine.
// Reports throughput, reply latency (p50/p99), peak RSS, refusals, and checks that no
// statistic was lost: the counts stored equal the entities of every answered message.
//
//   node --import tsx bench/flood.ts [--messages=10000] [--rate=500] [--images=0.2]
//        [--chats=100] [--users=1000] [--flooder=300] [--recognizer=local|gazetteer]
// --rate is arrivals per second (0 = everything at once); --flooder is how many extra messages
// one user sends in one chat (the per-user rate limit should refuse most of them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { createEngine, type Engine } from '../src/app/engine.ts';
import { normalizeEntityText } from '../src/stats/normalize.ts';
import { openEntityStats } from '../src/stats/open.ts';
import { Host, InProcessExecutor } from '../src/host/index.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { startTelegram } from '../adapters/telegram/index.ts';
import { TelegramEmulator, type SentMessage, type TgChat, type TgUser } from '../test/support/telegram-emulator.ts';
import { percentile } from './percentile.ts';
import { drawTextLines } from '../test/support/draw.ts';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const num = (name: string, dflt: number) => (args[name] === undefined ? dflt : Number(args[name]));
const MESSAGES = num('messages', 10_000);
const RATE = num('rate', 500);
const IMAGE_SHARE = num('images', 0.2);
const CHATS = num('chats', 100);
const USERS = num('users', 1000);
const FLOODER = num('flooder', 300);

const TEXTS = [
  'Barack Obama met Angela Merkel in Berlin on Monday.',
  'Google and Microsoft opened new offices in Paris.',
  'The United Nations held a meeting in New York with Emmanuel Macron.',
  'Apple announced that Tim Cook will visit Tokyo next week.',
  'Lionel Messi signed with Inter Miami in Florida.',
  'The World Health Organization reported new cases in Geneva.',
  'Elon Musk said Tesla will build a factory near Berlin.',
  'Amazon and Netflix compete for viewers in London.',
];
const POSTERS = [
  ['Barack Obama visits Paris'],
  ['Angela Merkel in Berlin'],
  ['Google opens office in London'],
  ['Emmanuel Macron meets Tim Cook'],
  ['Tesla factory near Berlin'],
];
const GAZETTEER = {
  PER: ['Barack Obama', 'Angela Merkel', 'Emmanuel Macron', 'Tim Cook', 'Lionel Messi', 'Elon Musk'],
  LOC: ['Berlin', 'Paris', 'New York', 'Tokyo', 'Florida', 'Geneva', 'London'],
  ORG: ['Google', 'Microsoft', 'United Nations', 'Apple', 'Inter Miami', 'World Health Organization', 'Tesla', 'Amazon', 'Netflix'],
};

async function makeEngine(dir: string): Promise<{ engine: Engine; recognizer: string; config: ReturnType<typeof loadConfig> }> {
  const wanted = args.recognizer ?? 'local';
  const base = {
    language: 'en',
    cache: { url: 'memory://' },
    stats: { url: `sqlite://${join(dir, 'stats.sqlite')}` },
    guards: { perUserPerMinute: 20, perCommunityPerMinute: 300, queueSize: 200, concurrency: 2 },
  };
  const attempt = async (recognizer: string) => {
    const recognizerCfg =
      recognizer === 'gazetteer'
        ? { backends: ['gazetteer'], fallback: 'none', gazetteer: { entries: GAZETTEER } }
        : { backends: ['local'], fallback: 'none' };
    const config = loadConfig({ env: {}, overrides: { ...base, recognizer: recognizerCfg } });
    return { engine: await createEngine(config), recognizer, config };
  };
  if (wanted === 'gazetteer') return attempt('gazetteer');
  try {
    const made = await attempt(wanted);
    const probe = await made.engine.recognize({ text: TEXTS[0]! });
    if (probe.entities.length > 0) return made;
    // A missing or untrained model answers with nothing, which would make the statistics check vacuous.
    console.error(
      `recognizer ${wanted} found no entities in "${TEXTS[0]}" (${probe.warnings.map((w) => w.code).join(', ') || 'no warnings'}); using the gazetteer`,
    );
    await made.engine.close();
    return attempt('gazetteer');
  } catch (err) {
    console.error(`recognizer ${wanted} unavailable (${(err as Error).message.split('\n')[0]}); using the gazetteer`);
    return attempt('gazetteer');
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-flood-'));
  const { engine, recognizer, config } = await makeEngine(dir);
  const images = await Promise.all(POSTERS.map((lines) => drawTextLines(lines, 56, 'jpeg')));

  // What each template yields: the expected statistics per answered message.
  const countOf = (entities: { text: string }[]) => entities.filter((e) => normalizeEntityText(e.text)).length;
  const textCounts = await Promise.all(TEXTS.map(async (t) => countOf((await engine.recognize({ text: t })).entities)));
  const imageCounts = await Promise.all(
    images.map(async (b) => countOf((await engine.recognize({ text: '', images: [{ kind: 'bytes', bytes: b }] })).entities)),
  );

  const emu = await TelegramEmulator.start();
  const opened = await openEntityStats(config);
  const host = new Host({ config, executor: new InProcessExecutor(engine), stats: opened.stats, logger: silentLogger() });
  const bot = await startTelegram(host, config, { token: emu.token, apiRoot: emu.apiRoot });

  const chats: TgChat[] = Array.from({ length: CHATS }, (_, i) => ({ id: -1_000_000 - i, type: 'group', title: `chat ${i}` }));
  const users: TgUser[] = Array.from({ length: USERS }, (_, i) => ({ id: 10_000 + i, is_bot: false, first_name: `u${i}` }));
  const flooder: TgUser = { id: 9_999, is_bot: false, first_name: 'flooder' };
  type Planned = { chat: TgChat; user: TgUser; kind: 'text' | 'image'; template: number };
  const plan: Planned[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const kind = (i * 7919) % 1000 < IMAGE_SHARE * 1000 ? 'image' : 'text';
    plan.push({
      chat: chats[i % CHATS]!,
      user: users[(i * 31) % USERS]!,
      kind,
      template: i % (kind === 'image' ? images.length : TEXTS.length),
    });
  }
  for (let i = 0; i < FLOODER; i++)
    plan.splice(Math.floor((i * plan.length) / Math.max(FLOODER, 1)), 0, {
      chat: chats[0]!,
      user: flooder,
      kind: 'text',
      template: i % TEXTS.length,
    });

  const sentAt = new Map<number, number>();
  const planned = new Map<number, Planned>();
  const replies = new Map<number, SentMessage>();
  emu.on('sent', (m: SentMessage) => m.reply_to !== undefined && replies.set(m.reply_to, m));

  let peakRss = process.memoryUsage().rss;
  const baseRss = peakRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i]!;
    const id = p.kind === 'image' ? emu.sendPhoto(p.chat, p.user, images[p.template]!) : emu.sendText(p.chat, p.user, TEXTS[p.template]!);
    sentAt.set(id, performance.now());
    planned.set(id, p);
    if (RATE > 0) {
      const due = t0 + ((i + 1) * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
  }
  const total = plan.length;
  const tally = bot.processor.tally;
  while (tally.recognized + tally.refused + tally.failed + tally.dismissed < total) await new Promise((r) => setTimeout(r, 50));
  await host.idle();
  await opened.stats.flush();
  const elapsed = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 300)); // last replies in flight
  clearInterval(sampler);

  let expected = 0;
  let answered = 0;
  let refusalReplies = 0;
  const latencies: number[] = [];
  for (const [id, p] of planned) {
    const reply = replies.get(id);
    if (!reply) continue;
    if (/Please try again/.test(reply.plain)) {
      refusalReplies++;
      continue;
    }
    answered++;
    expected += p.kind === 'image' ? imageCounts[p.template]! : textCounts[p.template]!;
    latencies.push(reply.at - sentAt.get(id)!);
  }
  latencies.sort((a, b) => a - b);
  let stored = 0;
  for (const c of chats) stored += await opened.stats.total(`telegram:${c.id}`);

  const rows: [string, string][] = [
    ['recognizer / OCR', `${recognizer} / ${config.ocr.backend}`],
    ['messages sent (incl. flooder)', `${total} (${plan.filter((p) => p.kind === 'image').length} photos, ${FLOODER} from one flooder)`],
    ['arrival rate', RATE > 0 ? `${RATE}/s` : 'all at once'],
    ['answered with entities', String(answered)],
    ['refused (rate limit / queue)', `${tally.refused} (${refusalReplies} told politely, rest silent)`],
    ['failed', String(tally.failed)],
    ['elapsed', `${elapsed.toFixed(1)} s`],
    ['throughput', `${(total / elapsed).toFixed(0)} msg/s handled, ${(answered / elapsed).toFixed(0)} msg/s answered`],
    [
      'reply latency p50 / p99 / max',
      `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)} / ${(latencies.at(-1) ?? NaN).toFixed(0)} ms`,
    ],
    ['peak RSS (whole process)', `${(peakRss / 2 ** 20).toFixed(0)} MiB (start ${(baseRss / 2 ** 20).toFixed(0)} MiB)`],
    ['queue peak waiting / refused', `${host.queue.stats().peakWaiting} / ${host.queue.stats().refused}`],
    ['entity counts stored / expected', `${stored} / ${expected} ${stored === expected ? 'OK: none lost' : 'MISMATCH'}`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nEKMM flood benchmark (Telegram emulator)\n${'-'.repeat(w + 40)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);

  await bot.stop();
  await opened.close();
  await emu.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  if (stored !== expected || answered + tally.refused !== total) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
