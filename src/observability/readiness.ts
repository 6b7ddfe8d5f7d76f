// Readiness: named checks that each say "ready" (undefined) or why not (a reason). GET /readyz is
// 200 only when every check passes: the models are loaded, the stores answer, and each enabled
// adapter is connected to its platform. Liveness (/healthz) is separate and never looks here.
import type { Metrics } from './metrics.ts';

/** Resolves to undefined when ready, or to a short reason (no secrets) when not. */
export type ReadinessCheck = () => Promise<string | undefined> | string | undefined;

/**
 * `reason` is a short code (starting, disconnected, unreachable, unavailable, timeout, not_ready)
 * that is safe to show anyone; `detail` is the check's own words (it may name a host, a URL, an
 * error), shown on /readyz only to a caller with the metrics token.
 */
export type CheckResult = { ok: true } | { ok: false; reason: string; detail: string };

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** The code for a failed check: what kind of thing is down, never what it said. */
export function reasonCode(name: string, detail: string, timedOut = false): string {
  if (timedOut) return 'timeout';
  if (detail === 'starting') return 'starting';
  const kind = name.slice(0, name.indexOf(':'));
  return kind === 'adapter' ? 'disconnected' : kind === 'store' ? 'unreachable' : kind === 'executor' ? 'unavailable' : 'not_ready';
}

/** The report without the checks' own words: what an unauthenticated /readyz shows. */
export function publicReport(report: ReadinessReport): { ready: boolean; checks: Record<string, { ok: boolean; reason?: string }> } {
  const checks = Object.fromEntries(
    Object.entries(report.checks).map(([name, c]) => [name, c.ok ? { ok: true } : { ok: false, reason: c.reason }]),
  );
  return { ready: report.ready, checks };
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly timeoutMs = 2000) {}

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async evaluate(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
        let timer: NodeJS.Timeout | undefined;
        let timedOut = false;
        try {
          const timeout = new Promise<string>((resolve) => {
            timer = setTimeout(() => {
              timedOut = true;
              resolve(`no answer within ${this.timeoutMs} ms`);
            }, this.timeoutMs);
          });
          const detail = await Promise.race([Promise.resolve(check()), timeout]);
          return [name, detail === undefined ? { ok: true } : { ok: false, reason: reasonCode(name, detail, timedOut), detail }];
        } catch (err) {
          const detail = err instanceof Error ? err.message : String(err);
          return [name, { ok: false, reason: reasonCode(name, detail), detail }];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, c]) => c.ok), checks };
  }
}

/** An adapter's connection to its platform: drives its readiness check and its metric. */
export class AdapterStatus {
  private reason: string | undefined;
  private probe: (() => Promise<void>) | undefined;
  private lastProbeAt = 0;

  constructor(
    readonly name: string,
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
  ) {
    this.reason = 'starting';
    readiness.register(`adapter:${name}`, () => this.check());
    metrics.adapterConnected.set({ adapter: name }, 0);
  }

  /**
   * A cheap call that proves the platform answers again (Telegram's getMe). Asked only while the
   * adapter is down, at most once a second: a long poll that reconnected says nothing until it
   * returns (up to 50 s), so waiting for it would keep /readyz at 503 long after the API is back.
   */
  probeWhileDown(probe: () => Promise<void>): void {
    this.probe = probe;
  }

  private async check(): Promise<string | undefined> {
    if (this.reason !== undefined && this.reason !== 'starting' && this.probe && Date.now() - this.lastProbeAt >= 1000) {
      this.lastProbeAt = Date.now();
      try {
        await this.probe();
        this.up();
      } catch {
        // Still down; the reason already says why.
      }
    }
    return this.reason;
  }

  get connected(): boolean {
    return this.reason === undefined;
  }

  up(): void {
    this.reason = undefined;
    this.metrics.adapterConnected.set({ adapter: this.name }, 1);
  }

  down(reason: string): void {
    this.reason = reason;
    this.metrics.adapterConnected.set({ adapter: this.name }, 0);
  }

  /** The adapter stopped on purpose: it is no longer part of readiness. */
  remove(): void {
    this.readiness.unregister(`adapter:${this.name}`);
    this.metrics.adapterConnected.remove({ adapter: this.name });
  }
}
