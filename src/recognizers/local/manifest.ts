// The model directory written by training/train.py: manifest.json, model.onnx, vocabulary files.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  featureNames,
  GAZ_LISTS,
  LEX_CLASSES,
  LEX_MIN_LEN,
  lexiconFeatureNames,
  parseGazetteer,
  parseLexicon,
  type Gazetteer,
  type Lexicon,
} from './features.ts';
import { CharCnn } from './char-cnn.ts';

const manifestSchema = z
  .object({
    format: z.literal('ekmm-ner/1'),
    language: z.enum(['en', 'zh']),
    /**
     * Which input the model was trained for: `text` (no knowledge or captions ever seen: the tagger
     * feeds it none), `knowledge` (always with recorded knowledge and captions), `both` (knowledge
     * dropout: one model for either). Written by train.py from --knowledge-dropout; absent = both.
     */
    setting: z.enum(['text', 'knowledge', 'both']).default('both'),
    labels: z.array(z.string()).min(1),
    crf: z.object({
      transitions: z.array(z.array(z.number())),
      start: z.array(z.number()),
      end: z.array(z.number()),
    }),
    vocab: z.object({ words: z.string(), chars: z.string().optional(), bigrams: z.string().optional() }),
    onnx: z.object({ file: z.string(), output: z.string(), inputs: z.array(z.string()) }),
    ids: z.object({ pad: z.literal(0), unk: z.literal(1) }),
    tokenization: z.object({ kind: z.enum(['tweet', 'char']) }).passthrough(),
    max: z.object({ chars_per_token: z.number().int().positive(), tokens_per_sequence: z.number().int().positive() }),
    features: z.array(z.string()),
    knowledge_features: z
      .object({
        type_keywords: z.record(z.string(), z.array(z.string())),
        type_words: z.array(z.string()).default([]),
        case_features: z.boolean().default(false),
        /** Name lists as always-on features (train.py --gazetteer); `file` is in the model directory. */
        gazetteer: z
          .object({ file: z.string(), lists: z.array(z.string()) })
          .passthrough()
          .nullable()
          .default(null),
      })
      .passthrough()
      .nullable(),
    /** Chinese word list as always-on features (train.py --lexicon); `file` is in the model directory. */
    lexicon: z
      .object({ file: z.string(), classes: z.array(z.string()), min_length: z.number().int() })
      .passthrough()
      .nullable()
      .default(null),
    /** Set by experimental train.py --ctx-tokens models, which this tagger refuses (see loadModelFiles). */
    knowledge_context: z
      .object({
        tokens: z.number().int().positive(),
        marker: z.string(),
      })
      .passthrough()
      .nullable()
      .optional(),
    /**
     * The char CNN outside the graph (training/split_char_cnn.py): the graph reads `char_features`,
     * vectors the tagger computes from `file`, instead of `char_ids`.
     */
    char_cnn: z.object({ file: z.string(), filters: z.number().int().positive() }).passthrough().nullable().default(null),
    results: z.unknown().optional(),
  })
  .passthrough();

export type Manifest = z.infer<typeof manifestSchema>;

export interface ModelFiles {
  dir: string;
  manifest: Manifest;
  words: Map<string, number>;
  chars: Map<string, number> | null;
  bigrams: Map<string, number> | null;
  gazetteer: Gazetteer | null;
  lexicon: Lexicon | null;
  charCnn: CharCnn | null;
  onnxPath: string;
}

async function readVocab(dir: string, file: string): Promise<Map<string, number>> {
  const path = join(dir, file);
  const lines = (await readFile(path, 'utf8')).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== '<pad>' || lines[1] !== '<unk>') throw new Error(`${path}: must start with <pad> and <unk> lines`);
  return new Map(lines.map((w, i) => [w, i]));
}

async function readLexicon(file: string, manifestPath: string): Promise<Lexicon> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the lexicon file ${file} that ${manifestPath} names: ${(err as Error).message}`);
  }
  return parseLexicon(text, file);
}

/** The char CNN file of a graph that reads `char_features`, checked against the manifest and the chars vocabulary. */
async function readCharCnn(
  dir: string,
  manifest: Manifest,
  chars: Map<string, number> | null,
  manifestPath: string,
): Promise<CharCnn | null> {
  const reads = manifest.onnx.inputs.includes('char_features');
  const spec = manifest.char_cnn;
  if (!reads && !spec) return null;
  if (!reads || !spec || !chars) {
    throw new Error(`${manifestPath}: a char_cnn entry, a chars vocabulary and the char_features input go together`);
  }
  const file = join(dir, spec.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the char CNN file ${file} that ${manifestPath} names: ${(err as Error).message}`);
  }
  const cnn = CharCnn.parse(text, file);
  if (cnn.filters !== spec.filters) throw new Error(`${file}: ${cnn.filters} filters, the manifest says ${spec.filters}`);
  if (cnn.rows !== chars.size) throw new Error(`${file}: ${cnn.rows} char rows for a chars vocabulary of ${chars.size}`);
  return cnn;
}

export async function loadModelFiles(dir: string): Promise<ModelFiles> {
  const path = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read NER model manifest ${path}: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: invalid manifest at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const manifest = parsed.data;
  const L = manifest.labels.length;
  const { transitions, start, end } = manifest.crf;
  if (transitions.length !== L || transitions.some((r) => r.length !== L) || start.length !== L || end.length !== L) {
    throw new Error(`${path}: CRF parameters do not match the ${L} labels`);
  }
  const kf = manifest.knowledge_features;
  const gaz = kf?.gazetteer ?? null;
  if (gaz && gaz.lists.join() !== GAZ_LISTS.join()) {
    throw new Error(`${path}: gazetteer lists ${gaz.lists.join(', ')} differ from the ones this tagger builds (${GAZ_LISTS.join(', ')})`);
  }
  const lex = manifest.lexicon;
  if (lex && (lex.classes.join() !== LEX_CLASSES.join() || lex.min_length !== LEX_MIN_LEN)) {
    throw new Error(
      `${path}: lexicon classes ${lex.classes.join(', ')} (min length ${lex.min_length}) differ from the ones this tagger builds (${LEX_CLASSES.join(', ')}, ${LEX_MIN_LEN})`,
    );
  }
  const expected = lex ? lexiconFeatureNames() : featureNames(kf?.type_words ?? [], kf?.case_features ?? false, gaz !== null);
  if (manifest.features.length > 0 && manifest.features.join() !== expected.join()) {
    throw new Error(`${path}: feature list differs from the one this tagger builds (${expected.join(', ')})`);
  }
  if (manifest.onnx.inputs.includes('ctx_ids') || manifest.knowledge_context) {
    // train.py --ctx-tokens models (reading the knowledge text itself) scored lower on valid and
    // were not shipped; the TypeScript tagger does not feed them.
    throw new Error(`${path}: models that read the knowledge text as context (train.py --ctx-tokens) are not supported by this tagger`);
  }
  const chars = manifest.vocab.chars ? await readVocab(dir, manifest.vocab.chars) : null;
  const charCnn = await readCharCnn(dir, manifest, chars, path);
  return {
    dir,
    manifest,
    words: await readVocab(dir, manifest.vocab.words),
    chars,
    bigrams: manifest.vocab.bigrams ? await readVocab(dir, manifest.vocab.bigrams) : null,
    gazetteer: gaz ? parseGazetteer(await readFile(join(dir, gaz.file), 'utf8'), join(dir, gaz.file)) : null,
    lexicon: lex ? await readLexicon(join(dir, lex.file), path) : null,
    charCnn,
    onnxPath: join(dir, manifest.onnx.file),
  };
}
