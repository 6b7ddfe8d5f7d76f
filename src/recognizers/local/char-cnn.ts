// The English models' char CNN, computed here instead of in the ONNX graph (the model directory's
// char_cnn.json, written by training/split_char_cnn.py from the exported graph's own weights).
// In the graph it ran over every token padded to the batch's longest token and cost 38% of
// session.run; here a token costs its own characters only. The arithmetic is the graph's
// (ekmm_model.Tagger.forward): per position, bias plus one row per kernel tap of the product
// weight . embedding, precomputed for every char of the table at load; max over positions.
import { z } from 'zod';

const fileSchema = z.object({
  format: z.literal('ekmm-char-cnn/1'),
  masked: z.number(),
  embedding: z.object({ rows: z.number().int().positive(), dim: z.number().int().positive(), data: z.array(z.number()) }),
  kernels: z
    .array(
      z.object({
        width: z.number().int().positive(),
        padding: z.number().int().nonnegative(),
        filters: z.number().int().positive(),
        weight: z.array(z.number()),
        bias: z.array(z.number()),
      }),
    )
    .min(1),
});

interface Kernel {
  width: number;
  padding: number;
  filters: number;
  /** taps[(j * (rows + 1) + c) * filters + f]: tap j's weight . embedding of char c, filter f; row `rows` is zeros. */
  taps: Float64Array;
  bias: Float64Array;
}

export class CharCnn {
  /** Width of a token's vector (all kernels' filters). */
  readonly filters: number;
  /** Chars in the table (the chars vocabulary's size). */
  readonly rows: number;
  private readonly kernels: Kernel[];
  private readonly masked: number;
  /** One position's sums, reused: a token needs no allocation. */
  private readonly sums: Float64Array;
  private readonly best: Float64Array;

  private constructor(file: z.infer<typeof fileSchema>, where: string) {
    const { rows, dim, data } = file.embedding;
    if (data.length !== rows * dim) throw new Error(`${where}: embedding has ${data.length} values, not ${rows} x ${dim}`);
    // float32 weights (what the graph held), products summed in float64
    const emb = Float32Array.from(data);
    for (let d = 0; d < dim; d++) {
      if (emb[d] !== 0) throw new Error(`${where}: embedding row 0 (padding) is not zero`);
    }
    this.rows = rows;
    this.masked = file.masked;
    this.kernels = file.kernels.map((k, n) => {
      const { width, filters } = k;
      if (k.weight.length !== filters * dim * width || k.bias.length !== filters) {
        throw new Error(`${where}: kernel ${n} weight/bias sizes do not match ${filters} x ${dim} x ${width}`);
      }
      const w = Float32Array.from(k.weight);
      // one more row per tap, all zeros, for taps that fall outside the token
      const taps = new Float64Array(width * (rows + 1) * filters);
      for (let j = 0; j < width; j++) {
        for (let c = 0; c < rows; c++) {
          for (let f = 0; f < filters; f++) {
            let s = 0;
            for (let d = 0; d < dim; d++) s += w[(f * dim + d) * width + j]! * emb[c * dim + d]!;
            taps[(j * (rows + 1) + c) * filters + f] = s;
          }
        }
      }
      return { width, padding: k.padding, filters, taps, bias: Float64Array.from(Float32Array.from(k.bias)) };
    });
    this.filters = this.kernels.reduce((a, k) => a + k.filters, 0);
    const widest = Math.max(...this.kernels.map((k) => k.filters));
    this.sums = new Float64Array(widest);
    this.best = new Float64Array(widest);
  }

  /** Parses char_cnn.json; `where` names the file in errors. */
  static parse(text: string, where: string): CharCnn {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${where}: invalid char CNN file at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return new CharCnn(parsed.data, where);
  }

  /**
   * Writes the vector of a token whose char ids are `ids[0..n)` (1..rows-1; no padding ids) to
   * `out[at..at + filters)`: zeros for n = 0, as the graph's `has` test gave.
   */
  vector(ids: Int32Array, n: number, out: Float32Array, at: number): void {
    const { best, rows } = this;
    let o = at;
    for (const k of this.kernels) {
      const { filters: F, width, padding, taps, bias } = k;
      if (n === 0) {
        out.fill(0, o, o + F);
        o += F;
        continue;
      }
      best.fill(this.masked, 0, F);
      for (let i = 0; i < n; i++) {
        // a tap outside the token reads the table's zero row (zero padding, or the padding id's zero row)
        const r0 = (i - padding >= 0 && i - padding < n ? ids[i - padding]! : rows) * F;
        if (width === 3) {
          // the shipped width: one pass over the filters, no per-position scratch (the general loop
          // below, same sums in the same order, took 1.5-1.6x the CPU per token, paired in one process)
          const r1 = (rows + 1 + (i + 1 - padding >= 0 && i + 1 - padding < n ? ids[i + 1 - padding]! : rows)) * F;
          const r2 = (2 * (rows + 1) + (i + 2 - padding >= 0 && i + 2 - padding < n ? ids[i + 2 - padding]! : rows)) * F;
          for (let f = 0; f < F; f++) {
            const s = bias[f]! + taps[r0 + f]! + taps[r1 + f]! + taps[r2 + f]!;
            if (s > best[f]!) best[f] = s;
          }
          continue;
        }
        const { sums } = this;
        for (let f = 0; f < F; f++) sums[f] = bias[f]! + taps[r0 + f]!;
        for (let j = 1; j < width; j++) {
          const c = i + j - padding;
          const row = (j * (rows + 1) + (c >= 0 && c < n ? ids[c]! : rows)) * F;
          for (let f = 0; f < F; f++) sums[f]! += taps[row + f]!;
        }
        for (let f = 0; f < F; f++) if (sums[f]! > best[f]!) best[f] = sums[f]!;
      }
      for (let f = 0; f < F; f++) out[o + f] = best[f]!;
      o += F;
    }
  }
}

/**
 * Token vectors by token text: the char ids (first `maxChars` code points, as train.py's
 * t[:MAX_CHARS] of a Python str), then the CNN. A cache of the latest 16,384 distinct tokens'
 * vectors was tried and removed: 0.98-1.01x CPU per post, paired in one process (the Map lookup
 * and copy cost about what the ~1.5 us computation does).
 */
export class CharVectors {
  private readonly ids: Int32Array;

  constructor(
    private readonly cnn: CharCnn,
    private readonly chars: ReadonlyMap<string, number>,
    private readonly maxChars: number,
  ) {
    this.ids = new Int32Array(maxChars);
  }

  get filters(): number {
    return this.cnn.filters;
  }

  /** Writes the vector of `token` to `out[at..at + filters)`. */
  write(token: string, out: Float32Array, at: number): void {
    let n = 0;
    for (const ch of token) {
      if (n === this.maxChars) break;
      this.ids[n++] = this.chars.get(ch) ?? UNK;
    }
    this.cnn.vector(this.ids, n, out, at);
  }
}

/** Id of a char missing from the vocabulary (manifest ids.unk). */
const UNK = 1;
