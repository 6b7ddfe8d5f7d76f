// Counts LLM calls and tokens per unit of work (one experiment post) without threading a counter
// through every backend: the caller runs the work inside meterUsage(), LlmHttpClient adds to it.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface LlmUsage {
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

const current = new AsyncLocalStorage<LlmUsage>();

export function emptyUsage(): LlmUsage {
  return { calls: 0, promptTokens: 0, completionTokens: 0 };
}

/** Runs `work`, counting into `usage` the completions every LlmHttpClient gets meanwhile. */
export function meterUsage<T>(usage: LlmUsage, work: () => Promise<T>): Promise<T> {
  return current.run(usage, work);
}

/** Called by LlmHttpClient for each completion it returns (no-op outside meterUsage). */
export function countCompletion(usage: { prompt_tokens?: number; completion_tokens?: number } | undefined | null): void {
  const meter = current.getStore();
  if (!meter) return;
  meter.calls++;
  meter.promptTokens += usage?.prompt_tokens ?? 0;
  meter.completionTokens += usage?.completion_tokens ?? 0;
}
