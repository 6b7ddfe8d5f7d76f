// Recognition throughput and reply latency, side by side in one run: in-process, one
// `ekmm worker`, two workers (BullMQ on a local redis-server), then the exact-count check after
// a kill -9 of one of two workers. Every message carries one freshly drawn image, so OCR (the
// costly stage) runs for each; the recognizer is a gazetteer so the expected counts are known.
// Run: nice -n 10 npx tsx bench/scale.ts [--n 60] [--concurrency 8]
// On a 2-core machine two workers should approach twice one worker (each worker is one OCR thread).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus, loadavg, totalmem } from 'node:os';
import { createApp } from '../src/app/app.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Message } from '../src/core/types.ts';
import { openEntityStats } from '../src/stats/open.ts';
import { createLogger } from '../src/observability/logger.ts';
import { drawTextLines } from '../test/support/draw.ts';
import { mapLimit, startEkmm, type EkmmProcess } from '../test/support/processes.ts';
import { launchRedis } from '../test/support/redis.ts';
import { percentile } from './percentile.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '8' } } });
const N = Number(values.n);
const IN_FLIGHT = Number(values.concurrency);
const WARM = 4;
const GAZETTEER = '{PER: [Angela Merkel], LOC: [Paris, Berlin]}';
const dir = mkdtempSync(join(tmpdir(), 'ekmm-scale-'));
const redis = await launchRedis();
const loadBefore = loadavg()[0]!;
let run = 0;

function settings(statsFile: string, queueName: string | undefined, ocr: 'ppocr' | 'none'): Record<string, string> {
  return {
    ...(queueName ? { EKMM__QUEUE__URL: redis.url, EKMM__QUEUE__NAME: queueName } : {}),
    EKMM__QUEUE__LOCKDURATIONMS: '2000',
    EKMM__QUEUE__STALLEDINTERVALMS: '1000',
    EKMM__QUEUE__REPLYTIMEOUTMS: '120000',
    EKMM__STATS__URL: `sqlite://${statsFile}`,
    EKMM__CACHE__ENABLED: 'false',
    EKMM__INTAKE__MEMOBYTES: '0',
    EKMM__OCR__BACKEND: ocr,
    EKMM__OCR__WORKERS: '1',
    EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
    EKMM__RECOGNIZER__FALLBACK: 'none',
    EKMM__RECOGNIZER__GAZETTEER__ENTRIES: GAZETTEER,
    EKMM__GUARDS__CONCURRENCY: String(IN_FLIGHT),
    EKMM__GUARDS__QUEUESIZE: '10000',
  };
}

async function images(count: number, offset: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => drawTextLines([`Angela Merkel visits Paris`, `bulletin number ${offset + i}`], 40)),
  );
}

interface ModeResult {
  label: string;
  perSecond: number;
  p50: number;
  p99: number;
  exact: string;
}

async function counts(statsFile: string, community: string): Promise<Record<string, number>> {
  const opened = await openEntityStats(loadConfig({ env: {}, overrides: { stats: { url: `sqlite://${statsFile}` } } }));
  try {
    const out: Record<string, number> = {};
    for (const r of await opened.stats.rows({ communityId: community }))
      out[`${r.type}:${r.entity}`] = (out[`${r.type}:${r.entity}`] ?? 0) + r.count;
    return out;
  } finally {
    await opened.close();
  }
}

async function mode(label: string, workers: number, opts: { killAfter?: number } = {}): Promise<ModeResult> {
  run++;
  const statsFile = join(dir, `stats-${run}.sqlite`);
  const queueName = workers > 0 ? `scale-${process.pid}-${run}` : undefined;
  const procs: EkmmProcess[] = [];
  for (let w = 0; w < workers; w++)
    procs.push(startEkmm(`worker-${w}`, ['worker', '--concurrency', '2'], settings(statsFile, queueName, 'ppocr')));
  await Promise.all(procs.map((p) => p.waitFor(/worker: ready/, 120_000)));
  const env = settings(statsFile, queueName, workers > 0 ? 'none' : 'ppocr');
  const app = await createApp(loadConfig({ env }), { logger: createLogger({ level: 'silent' }) });
  const community = `bench-${run}`;
  const send = (image: Buffer, id: string) => {
    const message: Message = { text: 'Berlin tonight', images: [{ kind: 'bytes', bytes: image }], communityId: community, messageId: id };
    return app.host.recognize({ message, countAs: { communityId: community, messageId: id } });
  };
  try {
    const warm = await images(WARM, run * 10_000);
    await mapLimit(warm, IN_FLIGHT, (img, i) => send(img, `w${i}`));
    const imgs = await images(N, run * 10_000 + WARM);
    const latencies: number[] = [];
    let answered = 0;
    const killer = opts.killAfter
      ? (async () => {
          while (answered < opts.killAfter!) await new Promise((r) => setTimeout(r, 5));
          procs[0]!.child.kill('SIGKILL');
        })()
      : undefined;
    const t0 = performance.now();
    const results = await mapLimit(imgs, IN_FLIGHT, async (img, i) => {
      const t = performance.now();
      const r = await send(img, `m${i}`);
      latencies.push(performance.now() - t);
      answered++;
      return r;
    });
    const seconds = (performance.now() - t0) / 1000;
    await killer;
    const total = WARM + N;
    const expected = { 'PER:angela merkel': total, 'LOC:paris': total, 'LOC:berlin': total };
    const got = await counts(statsFile, community);
    const ok = results.every((r) => r) && JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(expected).sort());
    const exact = `${ok ? 'yes' : 'NO'} (${Object.entries(got)
      .map(([k, v]) => `${k.split(':')[1]} ${v}`)
      .join(', ')} of ${total} each)`;
    return { label, perSecond: N / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), exact };
  } finally {
    await app.close();
    for (const p of procs) await p.stop();
  }
}

try {
  const rows: ModeResult[] = [];
  rows.push(await mode('in-process (serve recognizes, 1 OCR thread)', 0));
  rows.push(await mode('1 worker (BullMQ)', 1));
  rows.push(await mode('2 workers (BullMQ)', 2));
  const killed = await mode('2 workers, one killed with SIGKILL after 25%', 2, { killAfter: Math.ceil(N / 4) });
  const one = rows[1]!.perSecond;
  console.log(
    `\nbench/scale.ts: ${N} image messages per mode after ${WARM} warm-up, ${IN_FLIGHT} in flight; ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB; 1-min load average ${loadBefore.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end (other processes compete for the cores when it exceeds the core count)\n`,
  );
  console.log('| mode | msg/s | vs 1 worker | p50 ms | p99 ms | exact counts |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of [...rows, killed]) {
    console.log(
      `| ${r.label} | ${r.perSecond.toFixed(2)} | ${(r.perSecond / one).toFixed(2)}x | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.exact} |`,
    );
  }
} finally {
  await redis.stop(true);
  rmSync(dir, { recursive: true, force: true });
}
