// The `mner-sft` template as the `llm` recognizer sends it (`recognizer.llm.template`): the same
// renderPrompt() the export writes records with, fed from a RecognizerInput instead of a post.
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { RecognizerInput } from '../core/stages.ts';
import type { TypeMap } from '../data/bio.ts';
import { DEFAULT_INDEX_WEIGHTS, LexicalRetriever, loadIndexRetriever, loadTemplateExamples, type ExampleRetriever } from './examples.ts';
import { SFT_TEMPLATE_ID, renderPrompt, typeNames, type TemplateInput, type TemplateLanguage, type TemplateSettings } from './template.ts';

export interface TemplatePromptOptions {
  /** Resolves `examplesFile` (the config layer's project-relative paths). */
  resolvePath?: (file: string) => string;
  /** Replaces the lexical retriever built from `examplesFile`. */
  retriever?: ExampleRetriever;
}

export class TemplatePrompt {
  readonly id = SFT_TEMPLATE_ID;
  private retriever: Promise<ExampleRetriever> | undefined;
  private readonly names = new Map<TemplateLanguage, Map<string, string>>();

  constructor(
    readonly settings: TemplateSettings,
    private readonly entityTypes: string[],
    private readonly typeMap: TypeMap,
    private readonly options: TemplatePromptOptions = {},
  ) {
    // A fixed language is checked now, so a missing type name stops start-up, not the first message.
    if (settings.lang !== 'auto') this.typeNames(settings.lang);
  }

  languageFor(input: Pick<RecognizerInput, 'language'>): TemplateLanguage {
    return this.settings.lang === 'auto' ? input.language : this.settings.lang;
  }

  /** Entity type -> its name in the prompt for `lang`. */
  typeNames(lang: TemplateLanguage): Map<string, string> {
    let names = this.names.get(lang);
    if (!names) {
      names = typeNames(this.entityTypes, lang, this.settings.types);
      this.names.set(lang, names);
    }
    return names;
  }

  /** Name -> type for every language whose names are complete: the answers' labels map back through these. */
  labelAliases(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const lang of this.settings.lang === 'auto' ? (['en', 'zh'] as const) : [this.settings.lang]) {
      try {
        for (const [type, name] of this.typeNames(lang)) out[name] = type;
      } catch {
        /* auto: a language without a complete name table is refused when a message in it arrives */
      }
    }
    return out;
  }

  private examples(): Promise<ExampleRetriever> {
    const { examplesFile: file, examplesIndex: index } = this.settings;
    const resolve = (f: string) => (this.options.resolvePath ? this.options.resolvePath(f) : f);
    this.retriever ??= this.options.retriever
      ? Promise.resolve(this.options.retriever)
      : (async () => {
          if (index !== undefined)
            return loadIndexRetriever(resolve(index), this.settings.examplesWeights ?? DEFAULT_INDEX_WEIGHTS, this.typeMap);
          if (file === undefined) return new LexicalRetriever([], 'none');
          return new LexicalRetriever(await loadTemplateExamples(resolve(file), this.typeMap), file);
        })();
    return this.retriever;
  }

  async templateInput(input: RecognizerInput): Promise<TemplateInput> {
    const k = this.settings.parts.examples;
    const captions = input.captions.map((c) => c.text);
    // Captions steer retrieval only when the prompt shows them, as in the export.
    const query = { text: input.text, ...(this.settings.parts.caption ? { captions } : {}) };
    const examples = k > 0 ? await (await this.examples()).similar(query, k) : [];
    return {
      sentence: input.text,
      captions,
      ocr: input.ocr.map((l) => l.text),
      ...(input.knowledge === undefined ? {} : { knowledge: input.knowledge }),
      examples,
    };
  }

  async messages(input: RecognizerInput): Promise<ChatCompletionMessageParam[]> {
    const lang = this.languageFor(input);
    const rendered = renderPrompt(await this.templateInput(input), lang, this.settings, this.typeNames(lang));
    return [
      ...(rendered.system === undefined ? [] : [{ role: 'system' as const, content: rendered.system }]),
      { role: 'user', content: rendered.user },
    ];
  }
}
