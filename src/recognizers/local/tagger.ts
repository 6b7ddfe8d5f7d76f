// The trained BiLSTM-CRF tagger: tokens in, BIO tags out. Builds the model inputs exactly as
// training/train.py does, runs the ONNX graph for emission scores, decodes with Viterbi here.
import * as ort from 'onnxruntime-node';
import { loadModelFiles, type Manifest, type ModelFiles } from './manifest.ts';
import { lexiconFeatures, tokenFeatures, wordKey, type TypeKeywords } from './features.ts';
import { viterbi, type CrfParams } from './viterbi.ts';
import { CharVectors } from './char-cnn.ts';

export interface TaggerOptions {
  intraOpNumThreads?: number;
  /** Sequences per ONNX run. */
  batchSize?: number;
}

const UNK = 1;

/** Thrown by `tag` when its `shouldStop` answered true between two ONNX runs. */
export class TaggerStopped extends Error {
  override readonly name = 'TaggerStopped';
}

interface Segment {
  seq: number;
  from: number;
  to: number;
}

export class Tagger {
  readonly language: 'en' | 'zh';
  readonly labels: readonly string[];
  readonly tokenization: 'tweet' | 'char';
  /** Whether the model reads knowledge/captions (has the feature channel and was trained with them). */
  readonly usesKnowledge: boolean;
  /** The input the model was trained for (manifest `setting`). */
  readonly setting: 'text' | 'knowledge' | 'both';
  /** Whether the model has the feature channel at all (a text model's may carry always-on columns). */
  private readonly hasFeatures: boolean;
  private readonly crf: CrfParams;
  private readonly maxChars: number;
  private readonly maxTokens: number;
  private readonly keywords: TypeKeywords;
  private readonly typeWords: readonly string[];
  private readonly featureCount: number;
  private readonly caseFeatures: boolean;
  /** Char CNN vectors of tokens, for a graph that reads char_features. */
  private readonly charVectors: CharVectors | null;

  private constructor(
    private readonly files: ModelFiles,
    private readonly session: ort.InferenceSession,
    private readonly batchSize: number,
  ) {
    const m: Manifest = files.manifest;
    this.language = m.language;
    this.labels = m.labels;
    this.tokenization = m.tokenization.kind;
    this.hasFeatures = m.onnx.inputs.includes('features');
    this.setting = m.setting;
    // a text model never saw knowledge or caption columns set: it is fed none
    this.usesKnowledge = this.hasFeatures && m.setting !== 'text';
    this.crf = m.crf;
    this.maxChars = m.max.chars_per_token;
    this.maxTokens = m.max.tokens_per_sequence;
    this.keywords = m.knowledge_features?.type_keywords ?? {};
    this.typeWords = m.knowledge_features?.type_words ?? [];
    this.featureCount = m.features.length;
    this.caseFeatures = m.knowledge_features?.case_features ?? false;
    this.charVectors = files.charCnn && files.chars ? new CharVectors(files.charCnn, files.chars, this.maxChars) : null;
    for (const name of m.onnx.inputs) {
      if (!session.inputNames.includes(name)) {
        throw new Error(`${files.onnxPath}: graph has no input "${name}" that the manifest lists`);
      }
    }
  }

  static async load(dir: string, options: TaggerOptions = {}): Promise<Tagger> {
    const files = await loadModelFiles(dir);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(files.onnxPath, {
        executionProviders: ['cpu'],
        intraOpNumThreads: options.intraOpNumThreads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new Error(`cannot load NER model ${files.onnxPath}: ${(err as Error).message}`);
    }
    // 16 measured fastest on one thread: 2,200 vs 1,780 posts/s at 64 for CMNER, equal for English.
    return new Tagger(files, session, options.batchSize ?? 16);
  }

  get manifest(): Manifest {
    return this.files.manifest;
  }

  /**
   * Tags each token sequence. `knowledge[i]` / `captions[i]` feed the feature channel of models
   * that have one (ignored otherwise); null or absent means "none for this sequence".
   */
  async tag(
    sequences: readonly (readonly string[])[],
    knowledge?: readonly (string | null | undefined)[],
    captions?: readonly (string | null | undefined)[],
    shouldStop?: () => boolean,
  ): Promise<string[][]> {
    const scores = await this.emissions(sequences, knowledge, captions, shouldStop);
    const L = this.labels.length;
    return scores.map((em, i) => viterbi(em, sequences[i]!.length, L, this.crf).map((label) => this.labels[label]!));
  }

  /** CRF parameters of the model (the emissions' partner in decoding). */
  get crfParams(): CrfParams {
    return this.crf;
  }

  /**
   * Per-token emission scores: one (tokens x labels) row-major matrix per sequence. Sequences
   * longer than the manifest's maximum are scored in independent pieces. `shouldStop` is asked
   * before each ONNX run (TaggerStopped when it says yes): a worker whose job is no longer wanted
   * is free after at most one batch.
   */
  async emissions(
    sequences: readonly (readonly string[])[],
    knowledge?: readonly (string | null | undefined)[],
    captions?: readonly (string | null | undefined)[],
    shouldStop?: () => boolean,
  ): Promise<Float32Array[]> {
    const L = this.labels.length;
    const out = sequences.map((s) => new Float32Array(s.length * L));
    const segments: Segment[] = [];
    sequences.forEach((s, seq) => {
      for (let from = 0; from < s.length; from += this.maxTokens) {
        segments.push({ seq, from, to: Math.min(s.length, from + this.maxTokens) });
      }
    });
    // similar lengths together: less padding per ONNX run (padding never changes the result)
    segments.sort((a, b) => a.to - a.from - (b.to - b.from));
    const k = this.usesKnowledge ? knowledge : undefined;
    const c = this.usesKnowledge ? captions : undefined;
    const lexicon = this.files.lexicon;
    // Chinese: the lexicon flags are the whole feature channel (always on), one flat buffer per sequence
    const features: (Float32Array[] | Float32Array | null)[] = !this.hasFeatures
      ? []
      : lexicon
        ? sequences.map((s) => lexiconFeatures(s, lexicon))
        : sequences.map((s, i) =>
            k?.[i] || c?.[i] || this.caseFeatures || this.files.gazetteer
              ? tokenFeatures(s, k?.[i], c?.[i], this.keywords, this.typeWords, this.caseFeatures, this.files.gazetteer)
              : null,
          );
    for (let b = 0; b < segments.length; b += this.batchSize) {
      if (shouldStop?.()) throw new TaggerStopped(`tagging stopped after ${b} of ${segments.length} segments`);
      const batch = segments.slice(b, b + this.batchSize);
      const em = await this.run(batch, sequences, features);
      const T = Math.max(...batch.map((s) => s.to - s.from));
      batch.forEach((seg, i) => {
        out[seg.seq]!.set(em.subarray(i * T * L, (i * T + seg.to - seg.from) * L), seg.from * L);
      });
    }
    return out;
  }

  private async run(
    batch: Segment[],
    sequences: readonly (readonly string[])[],
    features: (Float32Array[] | Float32Array | null)[],
  ): Promise<Float32Array> {
    const B = batch.length;
    const T = Math.max(...batch.map((s) => s.to - s.from));
    const feeds: Record<string, ort.Tensor> = {};
    const words = new BigInt64Array(B * T);
    batch.forEach((seg, i) => {
      const toks = sequences[seg.seq]!;
      for (let t = seg.from; t < seg.to; t++) {
        words[i * T + t - seg.from] = BigInt(this.files.words.get(wordKey(toks[t]!)) ?? UNK);
      }
    });
    feeds.word_ids = new ort.Tensor('int64', words, [B, T]);
    if (this.charVectors) {
      feeds.char_features = this.charFeatures(batch, sequences, T, this.charVectors);
    } else if (this.files.chars) {
      const chars = this.files.chars;
      const split = batch.map((seg) => sequences[seg.seq]!.slice(seg.from, seg.to).map((tok) => Array.from(tok).slice(0, this.maxChars)));
      const C = Math.max(1, ...split.flatMap((s) => s.map((c) => c.length)));
      const ids = new BigInt64Array(B * T * C);
      split.forEach((s, i) =>
        s.forEach((cs, t) =>
          cs.forEach((ch, c) => {
            ids[(i * T + t) * C + c] = BigInt(chars.get(ch) ?? UNK);
          }),
        ),
      );
      feeds.char_ids = new ort.Tensor('int64', ids, [B, T, C]);
    }
    if (this.files.bigrams) {
      const bigrams = this.files.bigrams;
      const ids = new BigInt64Array(B * T);
      batch.forEach((seg, i) => {
        // Keys of this segment and the one token after it only: mapping the whole sequence per
        // segment made a long text quadratic (issue 8).
        const toks = sequences[seg.seq]!;
        const keys = toks.slice(seg.from, Math.min(toks.length, seg.to + 1)).map(wordKey);
        for (let t = seg.from; t < seg.to; t++) {
          const k = t - seg.from;
          const key = keys[k]! + (t + 1 < toks.length ? keys[k + 1]! : '</s>');
          ids[i * T + t - seg.from] = BigInt(bigrams.get(key) ?? UNK);
        }
      });
      feeds.bigram_ids = new ort.Tensor('int64', ids, [B, T]);
    }
    if (this.hasFeatures) {
      const F = this.featureCount;
      const data = new Float32Array(B * T * F);
      batch.forEach((seg, i) => {
        const rows = features[seg.seq];
        if (!rows) return;
        if (rows instanceof Float32Array) data.set(rows.subarray(seg.from * F, seg.to * F), i * T * F);
        else for (let t = seg.from; t < seg.to; t++) data.set(rows[t]!, (i * T + t - seg.from) * F);
      });
      feeds.features = new ort.Tensor('float32', data, [B, T, F]);
    }
    const result = await this.session.run(feeds);
    const em = result[this.files.manifest.onnx.output];
    if (!em || !(em.data instanceof Float32Array)) throw new Error('NER model returned no float emissions');
    return em.data;
  }

  /** Char CNN vectors of a batch's tokens (B x T x filters, zeros at padding), for a graph without the CNN. */
  private charFeatures(batch: Segment[], sequences: readonly (readonly string[])[], T: number, vectors: CharVectors): ort.Tensor {
    const F = vectors.filters;
    const data = new Float32Array(batch.length * T * F);
    batch.forEach((seg, i) => {
      const toks = sequences[seg.seq]!;
      for (let t = seg.from; t < seg.to; t++) vectors.write(toks[t]!, data, (i * T + t - seg.from) * F);
    });
    return new ort.Tensor('float32', data, [batch.length, T, F]);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
