// Waiting for a quiet CPU between timing rounds (bench/ocr.ts --wait-quiet): on a 2-core machine
// shared with other people's jobs, a round that starts while another process holds a core times
// that process, not the code. Linux only (/proc/stat); elsewhere it does not wait.
import { existsSync, readFileSync } from 'node:fs';

function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = fields[3]! + fields[4]!;
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the machine's CPUs were under `maxBusy` percent busy over `windowMs` while this
 * process slept, for at most `maxWaitMs`. Returns the last busy share seen and the time waited.
 */
export async function waitForQuietCpu(maxBusy = 15, windowMs = 500, maxWaitMs = 60_000): Promise<{ busy: number; waitedMs: number }> {
  const start = performance.now();
  if (!existsSync('/proc/stat')) return { busy: Number.NaN, waitedMs: 0 };
  for (;;) {
    const a = cpuTicks();
    await new Promise((r) => setTimeout(r, windowMs));
    const b = cpuTicks();
    const busy = (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
    const waitedMs = performance.now() - start;
    if (busy < maxBusy || waitedMs >= maxWaitMs) return { busy, waitedMs };
  }
}
