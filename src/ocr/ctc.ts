// Greedy CTC decoding that keeps where each character sits along the line (for space repair).

export interface DecodedChar {
  char: string;
  /** First and last output timestep of the character's run. */
  from: number;
  to: number;
  prob: number;
}

export interface DecodedLine {
  chars: DecodedChar[];
  /** Mean of the per-character maximum probabilities (PaddleOCR's line score). */
  score: number;
}

/**
 * `probs` is [timesteps x classes] for one line; class 0 is the CTC blank, class i is
 * dictionary[i - 1]. Only the first `usedSteps` timesteps belong to the line (the rest is padding).
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  offset: number,
  timesteps: number,
  classes: number,
  dictionary: string[],
  usedSteps = timesteps,
): DecodedLine {
  const chars: DecodedChar[] = [];
  let prev = -1;
  const steps = Math.min(usedSteps, timesteps);
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base]!;
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best === prev) {
      const last = chars[chars.length - 1]!;
      last.to = t;
      last.prob = Math.max(last.prob, bestP);
    } else if (best !== 0) {
      chars.push({ char: dictionary[best - 1] ?? '', from: t, to: t, prob: bestP });
    }
    prev = best;
  }
  const score = chars.length ? chars.reduce((s, c) => s + c.prob, 0) / chars.length : 0;
  return { chars, score };
}
