// Readiness: named checks that each say "ready" (undefined) or why not (a reason). GET /readyz is
// 200 only when every check passes: the models are loaded, the stores answer, and each enabled
// adapter is connected to its platform. Liveness (/healthz) is separate and never looks here.
import type { Metrics } from './metrics.ts';

/** Resolves to undefined when ready, or to a short reason (no secrets) when not. */
export type ReadinessCheck = () => Promise<string | undefined> | string | undefined;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: true } | { ok: false; reason: string }>;
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
      [...this.checks].map(async ([name, check]): Promise<[string, ReadinessReport['checks'][string]]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const timeout = new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve(`no answer within ${this.timeoutMs} ms`), this.timeoutMs);
          });
          const reason = await Promise.race([Promise.resolve(check()), timeout]);
          return [name, reason === undefined ? { ok: true } : { ok: false, reason }];
        } catch (err) {
          return [name, { ok: false, reason: err instanceof Error ? err.message : String(err) }];
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
