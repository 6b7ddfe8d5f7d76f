// The settings of the fine-tuning prompt template (`recognizer.llm.template`, and the export's
// flags): part of the configuration, so the config schema owns them. The template itself
// (wording, rendering) is src/finetune/template.ts; its name and version are here because a
// config names the version it was trained with and load rejects another one.
import { z } from 'zod';

export const SFT_TEMPLATE_NAME = 'mner-sft';
/** Bump with any change to the template's wording, order of parts or answer format (src/finetune/template.ts). */
export const SFT_TEMPLATE_VERSION = 1;

/** How the template is used: shared by the export flags and `recognizer.llm.template`. */
export const templateSettingsSchema = z
  .object({
    name: z.literal(SFT_TEMPLATE_NAME),
    version: z
      .number()
      .int()
      .refine((v) => v === SFT_TEMPLATE_VERSION, {
        message: `this build renders ${SFT_TEMPLATE_NAME} version ${SFT_TEMPLATE_VERSION} only; re-export the data (or retrain) with it`,
      }),
    /** `auto`: the message's detected language (serving) or the data's (export). */
    lang: z.enum(['en', 'zh', 'auto']).default('auto'),
    /** The optional prompt parts the model was trained with. */
    parts: z
      .object({
        caption: z.boolean().default(false),
        ocr: z.boolean().default(false),
        knowledge: z.boolean().default(false),
        /** Similar labelled examples shown in the prompt (0: none). */
        examples: z.number().int().min(0).max(20).default(0),
      })
      .strict()
      .prefault({}),
    /** Whether a system message is sent (exported records have one iff this is true). */
    system: z.boolean().default(true),
    /** Entity type -> the name the prompt uses for it, over the template's names for the language. */
    types: z.record(z.string(), z.string().min(1)).default({}),
    /** The labelled split the similar examples come from (lexical retrieval). */
    examplesFile: z.string().optional(),
    /** Or an `ekmm examples build` index (BM25 over text and caption, src/examples/). */
    examplesIndex: z.string().optional(),
    /** Weights of the index retrieval's text and caption channels (images are not used: see README). */
    examplesWeights: z
      .object({ text: z.number().min(0), caption: z.number().min(0) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((t) => t.parts.examples === 0 || t.examplesFile !== undefined || t.examplesIndex !== undefined, {
    message: 'parts.examples > 0 needs examplesFile or examplesIndex (where the training examples were drawn from)',
    path: ['examplesFile'],
  })
  .refine((t) => t.examplesFile === undefined || t.examplesIndex === undefined, {
    message: 'examplesFile and examplesIndex exclude each other',
    path: ['examplesIndex'],
  });

export type TemplateSettings = z.infer<typeof templateSettingsSchema>;
export type TemplateParts = TemplateSettings['parts'];
