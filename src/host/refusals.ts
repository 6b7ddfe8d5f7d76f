// Refusals (rate limits, a full queue, a body too large, a foreign origin) are expected under
// load and cheap by design; logging each one was itself a flood (427,523 lines in two minutes,
// issue 8). Each is counted in a prom-client counter and the log gets at most one line per
// interval with the counts by reason.
import { Counter, Registry } from 'prom-client';

export class RefusalLog {
  readonly counter: Counter<'adapter' | 'reason'>;
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly totals = new Map<string, number>();

  constructor(
    private readonly adapter: string,
    private readonly log: (line: string) => void,
    private readonly intervalMs: number,
    /** Where the counter is registered (the app's metrics registry); a private one otherwise. */
    registry: Registry = new Registry(),
  ) {
    const existing = registry.getSingleMetric('ekmm_refusals_total');
    this.counter =
      (existing as Counter<'adapter' | 'reason'> | undefined) ??
      new Counter({
        name: 'ekmm_refusals_total',
        help: 'Requests and messages refused before any work, by adapter and reason',
        labelNames: ['adapter', 'reason'],
        registers: [registry],
      });
  }

  note(reason: string): void {
    this.counter.inc({ adapter: this.adapter, reason });
    this.totals.set(reason, (this.totals.get(reason) ?? 0) + 1);
    this.pending.set(reason, (this.pending.get(reason) ?? 0) + 1);
    // The first refusal of a quiet period is logged at once; the rest wait for the interval.
    if (!this.timer) {
      this.flush();
      this.timer = setTimeout(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Counts since start, by reason (tests, health). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.totals);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    this.flush();
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const parts = [...this.pending].map(([reason, n]) => `${reason} ${n}`);
    const total = [...this.pending.values()].reduce((a, b) => a + b, 0);
    this.pending = new Map();
    this.log(
      `${this.adapter}: refused ${total} request${total === 1 ? '' : 's'} (${parts.join(', ')}); next summary in ${Math.round(this.intervalMs / 1000)} s at most`,
    );
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
