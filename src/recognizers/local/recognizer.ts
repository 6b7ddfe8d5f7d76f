// The "local" recognizer: the committed BiLSTM-CRF models (English tweets, Chinese Weibo), run
// in-process. Uses KnowledgeSource text and captions as the English model's feature channel.
// Each input (the text, each OCR block, each caption) goes to the model of its own language,
// with chat markup normalised (src/text/chat-markup.ts); see src/recognizers/views.ts.
import type { KnowledgeAware, Recognizer, RecognizerInput, RecognizerOutput, StageOptions } from '../../core/stages.ts';
import type { LanguageCode } from '../../core/types.ts';
import { foreignRuns } from '../../core/language.ts';
import { buildViews, entityFromView, type ViewOptions } from '../views.ts';
import { DEFAULT_MARKUP_RULES, type MarkupRule } from '../../text/chat-markup.ts';
import { Tagger } from './tagger.ts';
import { TaggerWorkerPool } from './tagger-pool.ts';
import { tokenize, type Token } from './tokenize.ts';
import { bioSpans } from './viterbi.ts';

/**
 * How Latin names inside Chinese text (and Han names inside English) are read. `none`: the
 * input's model reads everything. `runs`: each run of the other script is also read by the other
 * language's model, and its entities replace the main model's where they overlap.
 * `runs-exclusive`: as `runs`, and the main model's entities that touch such a run are dropped
 * even when the other model found nothing there. Measured in README "Language per input".
 */
export type MixedScriptPolicy = 'none' | 'runs' | 'runs-exclusive';

export interface LocalRecognizerOptions {
  /** Model directories by language. */
  models: Record<LanguageCode, string>;
  /**
   * A dedicated model for inputs that come with recorded knowledge (manifest setting `knowledge`),
   * by language; those inputs go to it and all others to `models`. Absent: `models` serves both.
   */
  knowledgeModels?: Partial<Record<LanguageCode, string>>;
  tagOcr: boolean;
  tagCaptions: boolean;
  /** Label type spellings mapped onto the project's types (e.g. MISC -> OTHER). */
  typeAliases: Record<string, string>;
  /** Types kept; others are dropped (and counted). */
  entityTypes: readonly string[];
  /** Normalise chat markup before tagging (default true). */
  markup?: boolean;
  /** Which markup rules apply (default DEFAULT_MARKUP_RULES). */
  markupRules?: readonly MarkupRule[];
  /** Read OCR text block by block rather than line by line (default true). */
  blocks?: boolean;
  mixedScript?: MixedScriptPolicy;
  /**
   * Worker threads per model that run the tagger (features, ONNX, Viterbi) off the event loop;
   * 0 (the default here) tags in-process. Same tags either way (test/local/tagger-pool.test.ts).
   */
  workerThreads?: number;
}

/** What tags token sequences: the in-process Tagger, or a pool of workers that each hold one. */
interface SequenceTagger {
  tag(
    sequences: readonly (readonly string[])[],
    knowledge: readonly (string | null)[],
    captions: readonly (string | null)[],
    options: StageOptions,
  ): Promise<string[][]>;
}

/** One token sequence for one model: a whole view, or a run of the other script inside it. */
interface Job {
  input: number;
  view: number;
  /** Offset of the job's text in the view's text. */
  offset: number;
  foreign: boolean;
  tokens: Token[];
  knowledge?: string | null;
  captionText?: string | null;
}

interface Found {
  start: number;
  end: number;
  type: string;
  foreign: boolean;
}

export const DEFAULT_MIXED_SCRIPT: MixedScriptPolicy = 'runs';

const kindOf = (lang: LanguageCode) => (lang === 'zh' ? 'char' : 'tweet');
const other = (lang: LanguageCode): LanguageCode => (lang === 'zh' ? 'en' : 'zh');

export class LocalRecognizer implements Recognizer, KnowledgeAware {
  readonly name = 'local';
  readonly usesKnowledge = true as const;
  private readonly taggers = new Map<string, Promise<Tagger>>();
  /** With workerThreads > 0: a worker pool per model directory, in place of `taggers`. */
  private readonly pools = new Map<string, Promise<TaggerWorkerPool>>();

  constructor(private readonly options: LocalRecognizerOptions) {}

  /**
   * A language's model (its knowledge model with `knowledge`, where configured), loaded once. The
   * first use of a language loads both of its models, so the one a later message needs is ready
   * (loading an ONNX model takes longer than a message's deadline share).
   */
  tagger(language: LanguageCode, knowledge = false): Promise<Tagger> {
    const main = this.options.models[language];
    const fed = this.options.knowledgeModels?.[language];
    const both = [main, ...(fed ? [fed] : [])].map((dir) => this.load(dir));
    return knowledge && fed ? both[1]! : both[0]!;
  }

  /** The same choice of model as `tagger`, run in-process or (workerThreads > 0) in worker threads. */
  private async runner(language: LanguageCode, knowledge: boolean): Promise<SequenceTagger> {
    const workers = this.options.workerThreads ?? 0;
    if (workers <= 0) {
      const tagger = await this.tagger(language, knowledge);
      return { tag: (sequences, k, captions) => tagger.tag(sequences, k, captions) };
    }
    const main = this.options.models[language];
    const fed = this.options.knowledgeModels?.[language];
    const both = [main, ...(fed ? [fed] : [])].map((dir) => {
      let pool = this.pools.get(dir);
      if (!pool) {
        pool = TaggerWorkerPool.start(dir, workers);
        this.pools.set(dir, pool);
        pool.catch(() => this.pools.delete(dir));
      }
      return pool;
    });
    return knowledge && fed ? both[1]! : both[0]!;
  }

  private load(dir: string): Promise<Tagger> {
    let t = this.taggers.get(dir);
    if (!t) {
      t = Tagger.load(dir);
      this.taggers.set(dir, t);
      // a failed load must not be cached forever: the next call retries
      t.catch(() => this.taggers.delete(dir));
    }
    return t;
  }

  async recognize(batch: RecognizerInput[], options: StageOptions = {}): Promise<RecognizerOutput[]> {
    const policy = this.options.mixedScript ?? DEFAULT_MIXED_SCRIPT;
    const viewOptions: ViewOptions = {
      markup: this.options.markup ?? true,
      markupRules: this.options.markupRules ?? DEFAULT_MARKUP_RULES,
      blocks: this.options.blocks ?? true,
      tagOcr: this.options.tagOcr,
      tagCaptions: this.options.tagCaptions,
    };
    const views = batch.map((input) => buildViews(input, viewOptions));
    const jobs = new Map<LanguageCode, Job[]>([
      ['en', []],
      ['zh', []],
    ]);
    const runsOf = new Map<string, Array<[number, number]>>();
    views.forEach((list, i) => {
      const input = batch[i]!;
      const captionText = input.captions.map((c) => c.text).join(' ') || null;
      list.forEach((view, v) => {
        const text = view.mapped.view;
        const main: Job = { input: i, view: v, offset: 0, foreign: false, tokens: tokenize(text, kindOf(view.language)) };
        // The text's own knowledge and captions feed the English model's feature channel.
        if (view.source === 'text') Object.assign(main, { knowledge: input.knowledge ?? null, captionText });
        jobs.get(view.language)!.push(main);
        if (policy === 'none') return;
        const runs = foreignRuns(text, view.language);
        runsOf.set(`${i}:${v}`, runs);
        const lang = other(view.language);
        for (const [s, e] of runs) {
          const tokens = tokenize(text.slice(s, e), kindOf(lang)).map((t) => ({ ...t, start: t.start + s, end: t.end + s }));
          jobs.get(lang)!.push({ input: i, view: v, offset: s, foreign: true, tokens });
        }
      });
    });

    const outputs: RecognizerOutput[] = batch.map(() => ({ entities: [], dropped: 0, warnings: [] }));
    const found = new Map<string, Found[]>();
    // with a dedicated knowledge model, jobs fed recorded knowledge go to it, the rest to the main model
    const groups: Array<[LanguageCode, boolean, Job[]]> = [];
    for (const [lang, all] of jobs) {
      const split = this.options.knowledgeModels?.[lang] !== undefined;
      const fed = split ? all.filter((j) => Boolean(j.knowledge)) : [];
      groups.push([lang, false, split ? all.filter((j) => !j.knowledge) : all], [lang, true, fed]);
    }
    for (const [lang, knowledge, list] of groups) {
      if (list.length === 0) continue;
      const tagger = await this.runner(lang, knowledge);
      const tags = await tagger.tag(
        list.map((j) => j.tokens.map((t) => t.text)),
        list.map((j) => j.knowledge ?? null),
        list.map((j) => j.captionText ?? null),
        options,
      );
      list.forEach((job, k) => {
        for (const span of bioSpans(tags[k]!)) {
          const type = this.options.typeAliases[span.type] ?? span.type;
          if (!this.options.entityTypes.includes(type)) {
            outputs[job.input]!.dropped++;
            continue;
          }
          const key = `${job.input}:${job.view}`;
          const start = job.tokens[span.start]!.start;
          const end = job.tokens[span.end - 1]!.end;
          found.set(key, [...(found.get(key) ?? []), { start, end, type, foreign: job.foreign }]);
        }
      });
    }

    views.forEach((list, i) => {
      const out = outputs[i]!;
      list.forEach((view, v) => {
        const key = `${i}:${v}`;
        const all = found.get(key) ?? [];
        const foreign = all.filter((f) => f.foreign);
        const runs = runsOf.get(key) ?? [];
        const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;
        const kept = all.filter(
          (f) =>
            f.foreign ||
            !(
              foreign.some((g) => overlaps(f, g)) ||
              (policy === 'runs-exclusive' && runs.some(([s, e]) => overlaps(f, { start: s, end: e })))
            ),
        );
        for (const f of kept.sort((a, b) => a.start - b.start)) {
          const entity = entityFromView(view, f.start, f.end, f.type, this.name, batch[i]!.ocr);
          if (entity) out.entities.push(entity);
          else out.dropped++;
        }
      });
    });
    return outputs;
  }

  async close(): Promise<void> {
    const loaded: Promise<{ close(): Promise<void> }>[] = [...this.taggers.values(), ...this.pools.values()];
    this.taggers.clear();
    this.pools.clear();
    for (const t of loaded) {
      try {
        await (await t).close();
      } catch {
        // a model that failed to load has nothing to release
      }
    }
  }
}
