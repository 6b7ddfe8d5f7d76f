// Recognition on BullMQ across real processes: one `ekmm serve` and two `ekmm worker`s share a
// redis-server (queue) and one SQLite statistics file. Counts must be exact: none lost, none
// doubled, also when a worker is killed with SIGKILL in the middle of the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { drawTextLines } from '../support/draw.ts';
import { mapLimit, startEkmm, type EkmmProcess } from '../support/processes.ts';
import { startRedis } from '../support/redis.ts';

interface ApiEntity {
  text: string;
  type: string;
  source: string;
}

function env(redisUrl: string, statsFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    EKMM__QUEUE__URL: redisUrl,
    EKMM__QUEUE__NAME: `procs-${process.pid}`,
    EKMM__QUEUE__REPLYTIMEOUTMS: '30000',
    // Short locks so that a killed worker's jobs are taken back within about 2 s.
    EKMM__QUEUE__LOCKDURATIONMS: '2000',
    EKMM__QUEUE__STALLEDINTERVALMS: '1000',
    EKMM__STATS__URL: `sqlite://${statsFile}`,
    EKMM__CACHE__ENABLED: 'false',
    EKMM__OCR__BACKEND: 'none',
    EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
    EKMM__RECOGNIZER__FALLBACK: 'none',
    EKMM__RECOGNIZER__GAZETTEER__ENTRIES: '{PER: [Angela Merkel], LOC: [Paris, Berlin], ORG: [Siemens]}',
    EKMM__GUARDS__PERUSERPERMINUTE: '100000',
    EKMM__GUARDS__PERCOMMUNITYPERMINUTE: '100000',
    EKMM__GUARDS__QUEUESIZE: '5000',
    EKMM__GUARDS__CONCURRENCY: '32',
    // Every request comes from one loopback client here: lift the web API's per-client limits.
    EKMM__LIMITS__WEB__CONNECTIONSPERCLIENT: '512',
    EKMM__LIMITS__WEB__REQUESTSPERCLIENTPERMINUTE: '1000000',
    EKMM__LIMITS__WEB__INFLIGHTPERCLIENT: '512',
    ...extra,
  };
}

async function startCluster(redisUrl: string, statsFile: string, extra: Record<string, string>, workerArgs: string[]) {
  const e = env(redisUrl, statsFile, extra);
  const workers = [startEkmm('worker-a', ['worker', ...workerArgs], e), startEkmm('worker-b', ['worker', ...workerArgs], e)];
  const serve = startEkmm('serve', ['serve', '--port', '0'], e);
  const [url] = await Promise.all([
    serve.waitFor(/listening on (http:\/\/[^\s"]+)/).then((m) => m[1]!),
    ...workers.map((w) => w.waitFor(/worker: ready/)),
  ]);
  return { serve, workers, url: url!, all: [serve, ...workers] as EkmmProcess[] };
}

async function post(url: string, body: Record<string, unknown>): Promise<{ status: number; entities: ApiEntity[]; text: string }> {
  const res = await fetch(`${url}/api/recognize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const entities = res.status === 200 ? (JSON.parse(text) as { entities: ApiEntity[] }).entities : [];
  return { status: res.status, entities, text };
}

async function countsOf(statsFile: string, communityId: string): Promise<Record<string, number>> {
  const config = loadConfig({ env: {}, overrides: { stats: { url: `sqlite://${statsFile}` } } });
  const opened = await openEntityStats(config);
  try {
    const out: Record<string, number> = {};
    for (const row of await opened.stats.rows({ communityId }))
      out[`${row.type}:${row.entity}`] = (out[`${row.type}:${row.entity}`] ?? 0) + row.count;
    return out;
  } finally {
    await opened.close();
  }
}

test('two workers and one serve share the queue and the statistics: 1,000 messages, exact counts', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-procs-'));
  const statsFile = join(dir, 'stats.sqlite');
  const cluster = await startCluster(redis.url, statsFile, {}, ['--concurrency', '8']);
  try {
    const N = 1000;
    const texts = ['Angela Merkel visits Paris', 'Siemens opens an office in Berlin', 'Paris and Berlin, again Paris'];
    const replies = await mapLimit(
      Array.from({ length: N }, (_, i) => i),
      32,
      (i) => post(cluster.url, { text: texts[i % 3], community: 'load', channel: `ch${i % 4}`, user: `u${i % 50}`, id: `m${i}` }),
    );
    assert.deepEqual(
      replies
        .filter((r) => r.status !== 200)
        .map((r) => r.text)
        .slice(0, 3),
      [],
      'every message answered',
    );
    // A repeated message id is not counted again (a client retrying its POST).
    assert.equal((await post(cluster.url, { text: texts[0], community: 'load', channel: 'ch0', id: 'm0' })).status, 200);

    // Message i has text i % 3; every mention counts, so the third text counts Paris twice.
    const [a, b, c] = [Math.ceil(N / 3), Math.ceil((N - 1) / 3), Math.ceil((N - 2) / 3)];
    assert.deepEqual(await countsOf(statsFile, 'web:load'), {
      'PER:angela merkel': a,
      'LOC:paris': a + 2 * c,
      'ORG:siemens': b,
      'LOC:berlin': b + c,
    });
    // Both workers took a share of the 1,001 jobs, and none failed.
    const shares: number[] = [];
    for (const w of cluster.workers) {
      assert.equal(await w.stop(), 0, w.stderr());
      const m = /stopped after (\d+) completed and (\d+) failed/.exec(w.stderr());
      assert.ok(m, w.stderr());
      assert.equal(m[2], '0', w.stderr());
      shares.push(Number(m[1]));
    }
    assert.equal(shares[0]! + shares[1]!, N + 1);
    assert.ok(
      shares.every((n) => n > 0),
      `jobs per worker: ${shares.join(', ')}`,
    );
  } finally {
    for (const p of cluster.all) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 of one worker mid-run: every message still answered, none counted twice', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-procs-'));
  const statsFile = join(dir, 'stats.sqlite');
  // Workers read the image with the real OCR (100-300 ms a job), so the killed one holds jobs when it dies.
  const e = env(redis.url, statsFile, { EKMM__OCR__BACKEND: 'ppocr' });
  const victim = startEkmm('worker-a', ['worker', '--concurrency', '2'], e);
  const survivor = startEkmm('worker-b', ['worker', '--concurrency', '2'], e);
  const serve = startEkmm('serve', ['serve', '--port', '0'], { ...e, EKMM__OCR__BACKEND: 'none' });
  try {
    const [url] = await Promise.all([
      serve.waitFor(/listening on (http:\/\/[^\s"]+)/).then((m) => m[1]!),
      victim.waitFor(/worker: ready/),
      survivor.waitFor(/worker: ready/),
    ]);
    const image = (await drawTextLines(['Paris'], 48)).toString('base64');
    const M = 40;
    let answered = 0;
    const killed = (async () => {
      while (answered < 6) await new Promise((r) => setTimeout(r, 10));
      victim.child.kill('SIGKILL');
    })();
    const replies = await mapLimit(
      Array.from({ length: M }, (_, i) => i),
      8,
      async (i) => {
        const r = await post(url!, {
          text: 'Angela Merkel in Berlin',
          images: [{ data: image }],
          community: 'crash',
          channel: 'c',
          user: `u${i % 5}`,
          id: `k${i}`,
        });
        answered++;
        return r;
      },
    );
    await killed;
    assert.deepEqual(
      replies.filter((r) => r.status !== 200).map((r) => r.text),
      [],
      'no message lost',
    );
    const shape = (r: { entities: ApiEntity[] }) =>
      r.entities
        .map((x) => `${x.source}:${x.type}:${x.text}`)
        .sort()
        .join(',');
    assert.equal(shape(replies[0]!), 'ocr:LOC:Paris,text:LOC:Berlin,text:PER:Angela Merkel');
    assert.ok(
      replies.every((r) => shape(r) === shape(replies[0]!)),
      'every message recognized the same way',
    );
    assert.deepEqual(await countsOf(statsFile, 'web:crash'), { 'PER:angela merkel': M, 'LOC:berlin': M, 'LOC:paris': M });
    assert.match(survivor.stderr(), /stalled/, "the survivor took back the killed worker's jobs");
  } finally {
    for (const p of [serve, survivor, victim]) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/readyz turns 503 when the queue Redis goes away and 200 again when it is back; a message meanwhile gets a 503, not silence', {
  timeout: 120_000,
}, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-procs-'));
  const e = env(redis.url, join(dir, 'stats.sqlite'), { EKMM__QUEUE__REPLYTIMEOUTMS: '3000' });
  const worker = startEkmm('worker', ['worker'], e);
  const serve = startEkmm('serve', ['serve', '--port', '0'], e);
  const readyz = async () => {
    const res = await fetch(`${url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, { ok: boolean; reason?: string }> } };
  };
  const eventually = async (want: number, what: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await readyz();
      if (r.status === want) return r;
      if (Date.now() > deadline) throw new Error(`${what}: /readyz still ${r.status}: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  };
  let url = '';
  try {
    [url] = await Promise.all([serve.waitFor(/listening on (http:\/\/[^\s"]+)/).then((m) => m[1]!), worker.waitFor(/worker: ready/)]);
    const up = await eventually(200, 'with Redis and a worker up');
    assert.deepEqual(up.body.checks['executor:bullmq'], { ok: true });

    await redis.stop(true);
    const down = await eventually(503, 'after Redis was killed');
    assert.equal(down.body.checks['executor:bullmq']?.ok, false);
    // Open to probes, /readyz names the check and a reason code, never the Redis URL.
    assert.equal(down.body.checks['executor:bullmq']?.reason, 'unavailable');
    assert.doesNotMatch(JSON.stringify(down.body), /redis:\/\//);
    const t0 = Date.now();
    const lost = await post(url, { text: 'Angela Merkel', community: 'r', id: 'while-down' });
    assert.equal(lost.status, 503, lost.text);
    assert.match(lost.text, /recognition\.unavailable/);
    assert.ok(Date.now() - t0 < 10_000, 'the refusal comes within the reply timeout');

    await redis.start();
    await eventually(200, 'after Redis came back');
    const back = await post(url, { text: 'Angela Merkel in Paris', community: 'r', id: 'after' });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.entities.length, 2);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^ekmm_bullmq_jobs\{state="waiting"\} 0$/m);
    assert.match(metrics, /^ekmm_bullmq_jobs\{state="failed"\} 0$/m);
  } finally {
    for (const p of [serve, worker]) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
