// The "local" recognizer: the committed BiLSTM-CRF models (English tweets, Chinese Weibo), run
// in-process. Uses KnowledgeSource text and captions as the English model's feature channel.
import type { KnowledgeAware, Recognizer, RecognizerInput, RecognizerOutput } from '../../core/stages.ts';
import type { Entity, EntitySource, LanguageCode } from '../../core/types.ts';
import { isMostlyHan } from '../../core/language.ts';
import { Tagger } from './tagger.ts';
import { tokenize, type Token } from './tokenize.ts';
import { bioSpans } from './viterbi.ts';

export interface LocalRecognizerOptions {
  /** Model directories by language. */
  models: Record<LanguageCode, string>;
  tagOcr: boolean;
  tagCaptions: boolean;
  /** Label type spellings mapped onto the project's types (e.g. MISC -> OTHER). */
  typeAliases: Record<string, string>;
  /** Types kept; others are dropped (and counted). */
  entityTypes: readonly string[];
}

interface Job {
  input: number;
  text: string;
  tokens: Token[];
  source: EntitySource;
  ocrLine?: number;
  caption?: number;
  knowledge?: string | null;
  captionText?: string | null;
}

export class LocalRecognizer implements Recognizer, KnowledgeAware {
  readonly name = 'local';
  readonly usesKnowledge = true as const;
  private readonly taggers = new Map<LanguageCode, Promise<Tagger>>();

  constructor(private readonly options: LocalRecognizerOptions) {}

  /** Loads a language's model once, on first use. */
  tagger(language: LanguageCode): Promise<Tagger> {
    let t = this.taggers.get(language);
    if (!t) {
      t = Tagger.load(this.options.models[language]);
      this.taggers.set(language, t);
      // a failed load must not be cached forever: the next call retries
      t.catch(() => this.taggers.delete(language));
    }
    return t;
  }

  async recognize(batch: RecognizerInput[]): Promise<RecognizerOutput[]> {
    const jobs = new Map<LanguageCode, Job[]>([['en', []], ['zh', []]]);
    const kindOf = (lang: LanguageCode) => (lang === 'zh' ? 'char' : 'tweet');
    batch.forEach((input, i) => {
      const captionText = input.captions.map((c) => c.text).join(' ') || null;
      jobs.get(input.language)!.push({
        input: i, text: input.text, tokens: tokenize(input.text, kindOf(input.language)), source: 'text',
        knowledge: input.knowledge ?? null, captionText,
      });
      if (this.options.tagOcr) {
        input.ocr.forEach((line, n) => {
          const lang: LanguageCode = isMostlyHan(line.text) ? 'zh' : 'en';
          jobs.get(lang)!.push({ input: i, text: line.text, tokens: tokenize(line.text, kindOf(lang)), source: 'ocr', ocrLine: n });
        });
      }
      if (this.options.tagCaptions) {
        input.captions.forEach((cap, n) => {
          const lang: LanguageCode = isMostlyHan(cap.text) ? 'zh' : 'en';
          jobs.get(lang)!.push({ input: i, text: cap.text, tokens: tokenize(cap.text, kindOf(lang)), source: 'caption', caption: n });
        });
      }
    });
    const outputs: RecognizerOutput[] = batch.map(() => ({ entities: [], dropped: 0, warnings: [] }));
    for (const [lang, list] of jobs) {
      if (list.length === 0) continue;
      const tagger = await this.tagger(lang);
      const tags = await tagger.tag(
        list.map((j) => j.tokens.map((t) => t.text)),
        list.map((j) => j.knowledge),
        list.map((j) => j.captionText),
      );
      list.forEach((job, k) => {
        const out = outputs[job.input]!;
        for (const span of bioSpans(tags[k]!)) {
          const type = this.options.typeAliases[span.type] ?? span.type;
          if (!this.options.entityTypes.includes(type)) {
            out.dropped++;
            continue;
          }
          const start = job.tokens[span.start]!.start;
          const end = job.tokens[span.end - 1]!.end;
          const entity: Entity = { text: job.text.slice(start, end), type, start, end, source: job.source, backend: this.name };
          if (job.ocrLine !== undefined) entity.ocrLine = job.ocrLine;
          if (job.caption !== undefined) entity.caption = job.caption;
          out.entities.push(entity);
        }
      });
    }
    return outputs;
  }

  async close(): Promise<void> {
    const loaded = [...this.taggers.values()];
    this.taggers.clear();
    for (const t of loaded) {
      try {
        await (await t).close();
      } catch {
        // a model that failed to load has nothing to release
      }
    }
  }
}
