// The fine-tuning prompt template `mner-sft`, in English and Chinese. One function renders it for
// `ekmm export xtuner|llava` (training records) and for the `llm` recognizer (serving), so a model
// tuned on the exported records is prompted at inference exactly as it was trained. Any change to
// the wording, the order of parts or the answer format must bump SFT_TEMPLATE_VERSION (in
// src/config/template-settings.ts, beside the settings schema): configs name the version they
// were trained with and a mismatch stops start-up.
import {
  SFT_TEMPLATE_NAME,
  SFT_TEMPLATE_VERSION,
  type TemplateParts,
  type TemplateSettings,
  templateSettingsSchema,
} from '../config/template-settings.ts';

export { SFT_TEMPLATE_NAME, SFT_TEMPLATE_VERSION, type TemplateParts, type TemplateSettings };
/** Stable id of the template, used in cache keys and printed by the export. */
export const SFT_TEMPLATE_ID = `${SFT_TEMPLATE_NAME}@${SFT_TEMPLATE_VERSION}`;

export type TemplateLanguage = 'en' | 'zh';

export interface NamedEntity {
  text: string;
  type: string;
}

export interface TemplateExample {
  text: string;
  /** Entities with configured types (PER, LOC, ...). */
  entities: NamedEntity[];
}

/** Everything one prompt is made of; parts not enabled in the settings are ignored. */
export interface TemplateInput {
  sentence: string;
  captions: readonly string[];
  ocr: readonly string[];
  knowledge?: string;
  examples: readonly TemplateExample[];
}

export interface RenderedPrompt {
  system?: string;
  user: string;
}

interface Wording {
  system: string;
  task: string;
  caption: string;
  ocr: string;
  examples: string;
  exampleSentence: string;
  exampleAnswer: string;
  knowledge: string;
  sentence: string;
  types: string;
  answer: string;
  none: string;
  typeSeparator: string;
  ocrSeparator: string;
  typeNames: Record<string, string>;
}

// The Chinese wording follows the plan's words: 任务 (task), 图片描述 (image description),
// 句子 (sentence), 需要识别的实体类型 (the entity types to find).
const WORDING: Record<TemplateLanguage, Wording> = {
  en: {
    system: 'You are a named entity recognizer for social media posts that come with images.',
    task: 'Task: find the named entities in the sentence and give the type of each. Copy each entity exactly as it is written in the sentence and list it once.',
    caption: 'Image description: ',
    ocr: 'Text in the image: ',
    examples: 'Similar examples:',
    exampleSentence: 'Sentence: ',
    exampleAnswer: 'Answer: ',
    knowledge: 'Background knowledge (may be wrong): ',
    sentence: 'Sentence: ',
    types: 'Entity types to find: ',
    answer: 'Answer with JSON only: {"entities": [{"text": "...", "type": "..."}]}; if there are none, answer {"entities": []}.',
    none: '(none)',
    typeSeparator: ', ',
    ocrSeparator: ' | ',
    typeNames: { PER: 'person', LOC: 'location', ORG: 'organization', OTHER: 'other' },
  },
  zh: {
    system: '你是社交媒体图文帖子的命名实体识别助手。',
    task: '任务：找出句子中的命名实体，并给出每个实体的类型。实体须与句子中的写法完全一致，同一实体只列一次。',
    caption: '图片描述：',
    ocr: '图片中的文字：',
    examples: '相似示例：',
    exampleSentence: '句子：',
    exampleAnswer: '答案：',
    knowledge: '背景知识（可能有误）：',
    sentence: '句子：',
    types: '需要识别的实体类型：',
    answer: '只输出 JSON：{"entities": [{"text": "实体", "type": "类型"}]}；没有实体时输出 {"entities": []}。',
    none: '（无）',
    typeSeparator: '、',
    ocrSeparator: ' | ',
    typeNames: { PER: '人名', LOC: '地名', ORG: '机构名', OTHER: '其他' },
  },
};

/** A type list or name table the template cannot use: a usage problem, named precisely. */
export class TemplateTypeError extends Error {
  override readonly name = 'TemplateTypeError';
}

/**
 * Entity type -> the name the prompt and the answers use, in `lang`. Every configured type needs a
 * name (the template's own or one from `overrides`), and names must be distinct so answers map back.
 */
export function typeNames(
  entityTypes: readonly string[],
  lang: TemplateLanguage,
  overrides: Record<string, string> = {},
): Map<string, string> {
  for (const t of Object.keys(overrides)) {
    if (!entityTypes.includes(t))
      throw new TemplateTypeError(`type name given for '${t}', which is not among the entity types ${entityTypes.join(', ')}`);
  }
  const names = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const t of entityTypes) {
    const name = (overrides[t] ?? WORDING[lang].typeNames[t])?.trim();
    if (!name)
      throw new TemplateTypeError(
        `entity type '${t}' has no ${lang === 'zh' ? 'Chinese' : 'English'} name in ${SFT_TEMPLATE_NAME}; name it with --types ${t}=NAME (config: types)`,
      );
    const clash = owner.get(name.toLowerCase());
    if (clash) throw new TemplateTypeError(`entity types '${clash}' and '${t}' are both named '${name}'; answers could not be told apart`);
    owner.set(name.toLowerCase(), t);
    names.set(t, name);
  }
  return names;
}

/** The answer a tuned model is trained to give, and that the recognizer's parser reads. */
export function formatAnswer(entities: readonly NamedEntity[], names: ReadonlyMap<string, string>): string {
  return JSON.stringify({ entities: entities.map((e) => ({ text: e.text, type: names.get(e.type) ?? e.type })) });
}

function section(label: string, enabled: boolean, body: string | undefined, none: string): string[] {
  if (!enabled) return [];
  return [`${label}${body?.trim() ? body : none}`];
}

/** The system and user text of one prompt. Deterministic: same settings and input, same bytes. */
export function renderPrompt(
  input: TemplateInput,
  lang: TemplateLanguage,
  settings: Pick<TemplateSettings, 'parts' | 'system'>,
  names: ReadonlyMap<string, string>,
): RenderedPrompt {
  const w = WORDING[lang];
  const { parts } = settings;
  const lines: string[] = [w.task];
  lines.push(...section(w.caption, parts.caption, input.captions.join(' / '), w.none));
  lines.push(...section(w.ocr, parts.ocr, input.ocr.join(w.ocrSeparator), w.none));
  if (parts.examples > 0) {
    const shown = input.examples.slice(0, parts.examples);
    if (shown.length === 0) lines.push(`${w.examples}${w.none}`);
    else {
      lines.push(w.examples);
      for (const ex of shown) lines.push(`${w.exampleSentence}${ex.text}`, `${w.exampleAnswer}${formatAnswer(ex.entities, names)}`);
    }
  }
  lines.push(...section(w.knowledge, parts.knowledge, input.knowledge?.replace(/\s*\n\s*/g, ' '), w.none));
  lines.push(`${w.sentence}${input.sentence}`);
  lines.push(`${w.types}${[...names.values()].join(w.typeSeparator)}`);
  lines.push(w.answer);
  return { ...(settings.system ? { system: w.system } : {}), user: lines.join('\n') };
}

/** Default settings for a given set of parts (the export's flags). */
export function templateSettings(overrides: Partial<Omit<TemplateSettings, 'name' | 'version'>> = {}): TemplateSettings {
  return templateSettingsSchema.parse({ name: SFT_TEMPLATE_NAME, version: SFT_TEMPLATE_VERSION, ...overrides });
}
