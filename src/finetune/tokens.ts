// A tokenizer-free estimate of prompt length, for max_length in generated configs and the
// validator's length rule. Without the model's tokenizer (not shipped here) an exact count is not
// possible; the estimate errs long for the BPE tokenizers of Qwen, InternLM2 and Llama 3:
// each CJK character one token, each run of Latin letters or digits one token per 4 characters
// (at least one), every other visible character one token.
const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/u;

export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/[\p{L}\p{N}]+|\S/gu)) {
    const run = m[0];
    if (CJK.test(run)) {
      // A run may mix CJK and Latin letters: CJK characters count one each, the rest by length.
      const cjk = [...run].filter((c) => CJK.test(c)).length;
      const rest = [...run].length - cjk;
      n += cjk + (rest ? Math.ceil(rest / 4) : 0);
    } else if (/[\p{L}\p{N}]/u.test(run)) n += Math.max(1, Math.ceil([...run].length / 4));
    else n += 1;
  }
  return n;
}

/** Tokens the chat template adds around each message (role markers, separators); generous. */
export const TEMPLATE_OVERHEAD_PER_MESSAGE = 8;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
