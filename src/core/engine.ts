// The recognition pipeline: intake -> (OCR | captions) -> knowledge -> recognizers -> merge.
// Every stage failure becomes a warning; the text is always recognized and the user always
// gets a Recognition. The pipeline sees stage interfaces only: src/app/ loads the plugins,
// opens the stores and builds the stages (with their cache decorators) and hands them in here.
import type { EkmmConfig } from '../config/schema.ts';
import type {
  Captioner,
  ImageIntake,
  KnowledgeSource,
  Ocr,
  PreparedImage,
  Recognizer,
  RecognizerInput,
  RecognizerOutput,
} from './stages.ts';
import { isKnowledgeAware, StageFailure, type StageOptions } from './stages.ts';
import type { Caption, Entity, Message, OcrLine, Recognition, Warning } from './types.ts';
import { detectLanguage, languageOf } from './language.ts';
import { hintEntities } from './hints.ts';
import { groupLines } from './ocr-blocks.ts';
import { canonicalType, mergeEntities } from './merge.ts';
import { raceDeadline, RecognitionCancelled } from './deadline.ts';
import { limitImages, limitText } from './limits.ts';

export interface RecognizeOptions {
  /** Aborts when the caller has gone: recognize() then rejects with RecognitionCancelled and stages stop. */
  signal?: AbortSignal;
  /** This message's deadline in ms from now; default limits.deadline.textMs, or imagesMs with images. */
  deadlineMs?: number;
  /** Longest text kept (UTF-16 code units), cut past it with a warning; default limits.textChars.api. */
  maxTextChars?: number;
}

export interface Engine {
  readonly config: EkmmConfig;
  /** Names of the backends in use, for health checks. */
  readonly backends: Record<string, string | string[]>;
  recognize(message: Message, options?: RecognizeOptions): Promise<Recognition>;
  close(): Promise<void>;
}

/** The built stages the pipeline runs; src/app/stages.ts makes them from the config. */
export interface Stages {
  intake: ImageIntake;
  ocr?: Ocr;
  captioner?: Captioner;
  knowledge?: KnowledgeSource;
  recognizers: Recognizer[];
  fallback?: Recognizer;
  /** Closes what the stages hold besides themselves (the cache store); called last by close(). */
  closeResources?: () => Promise<void>;
}

const now = () => performance.now();

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createPipeline(config: EkmmConfig, stages: Stages): Engine {
  const types = config.entityTypes;

  async function runRecognizer(
    r: Recognizer,
    input: RecognizerInput,
    warnings: Warning[],
    until: number,
    options: StageOptions,
  ): Promise<RecognizerOutput | undefined> {
    try {
      const raced = await raceDeadline(r.recognize([input], { ...options, deadline: until }), until, options.signal);
      if (!raced.done) {
        warnings.push({
          code: 'deadline.exceeded',
          stage: 'recognize',
          message: `recognizer "${r.name}" did not answer within the message deadline; its answer is left out`,
        });
        return undefined;
      }
      const [out] = raced.value;
      if (!out) throw new Error('returned no output for the message');
      return out;
    } catch (err) {
      if (err instanceof RecognitionCancelled) throw err;
      if (err instanceof StageFailure) warnings.push(...err.warnings);
      warnings.push({ code: 'recognizer.failed', stage: 'recognize', message: `recognizer "${r.name}" failed: ${errorText(err)}` });
      return undefined;
    }
  }

  /** Keeps entities whose type maps onto a configured type; counts the rest as dropped. */
  function normalizeTypes(entities: Entity[], warnings: Warning[]): { kept: Entity[]; dropped: number } {
    const kept: Entity[] = [];
    const unknown = new Set<string>();
    for (const e of entities) {
      const type = canonicalType(e.type, types, config.typeAliases);
      if (type) kept.push({ ...e, type });
      else unknown.add(e.type);
    }
    if (unknown.size) {
      warnings.push({
        code: 'entity.unknown_type',
        stage: 'recognize',
        message: `dropped ${entities.length - kept.length} entities of types not configured: ${[...unknown].join(', ')}`,
      });
    }
    return { kept, dropped: entities.length - kept.length };
  }

  async function recognize(message: Message, options: RecognizeOptions = {}): Promise<Recognition> {
    const t0 = now();
    const timings: Record<string, number> = {};
    const warnings: Warning[] = [];
    const { signal } = options;
    if (signal?.aborted) throw new RecognitionCancelled();
    const limits = config.limits;
    const cut = limitText(
      typeof message.text === 'string' ? message.text : '',
      options.maxTextChars ?? limits.textChars.api,
      'limits.textChars',
    );
    const text = cut.text;
    if (cut.warning) warnings.push(cut.warning);
    const allowed = limitImages(message.images ?? [], limits.imagesPerMessage);
    if (allowed.warning) warnings.push(allowed.warning);

    // One deadline for the message. Stages before recognition get it less a reserve, so the local
    // recognizer still answers in time; past a stage's share the engine goes on without it.
    const budgetMs = options.deadlineMs ?? (allowed.images.length ? limits.deadline.imagesMs : limits.deadline.textMs);
    const deadline = Date.now() + budgetMs;
    const stagesUntil = deadline - Math.min(limits.deadline.reserveMs, budgetMs / 4);
    const stageOptions: StageOptions = { ...(signal ? { signal } : {}), deadline: stagesUntil };
    /** The stage's answer, or undefined (and a warning) when it is not in by `until`. */
    const within = async <T>(stage: string, what: string, work: Promise<T>, until: number): Promise<T | undefined> => {
      const raced = await raceDeadline(work, until, signal);
      if (raced.done) return raced.value;
      warnings.push({
        code: 'deadline.exceeded',
        stage,
        message: `${what} did not finish within the message deadline (${budgetMs} ms); the answer goes on without it`,
      });
      return undefined;
    };
    const rethrowCancel = (err: unknown) => {
      if (err instanceof RecognitionCancelled) throw err;
    };

    let t = now();
    const prepared: PreparedImage[] = [];
    if (allowed.images.length) {
      const results = await within('intake', 'image intake', stages.intake.prepare(allowed.images, stageOptions), stagesUntil);
      for (const result of results ?? []) {
        if (result.ok) prepared.push(result.image);
        else warnings.push(result.warning);
      }
    }
    timings.intake = now() - t;

    const ocrLines: OcrLine[] = [];
    const captions: Caption[] = [];
    /** Images the captioner answered for with nothing (null or blank). */
    const emptyCaptions: number[] = [];
    if (prepared.length) {
      const hint = message.language && message.language !== 'auto' ? message.language : detectLanguage('auto', text);
      const ocrTask = (async () => {
        if (!stages.ocr) return;
        const s = now();
        try {
          const ocr = stages.ocr;
          const reading = await within(
            'ocr',
            'OCR',
            ocr.readDetailed
              ? ocr.readDetailed(prepared, hint, stageOptions)
              : ocr.read(prepared, hint, stageOptions).then((lines) => ({ lines, warnings: [] as Warning[] })),
            stagesUntil,
          );
          // Only an answer in time is used: a late one must not change a reply already sent.
          if (reading) {
            for (const lines of reading.lines) ocrLines.push(...lines);
            warnings.push(...reading.warnings);
          }
        } catch (err) {
          rethrowCancel(err);
          warnings.push({ code: 'ocr.failed', stage: 'ocr', message: `OCR failed: ${errorText(err)}` });
        }
        timings.ocr = now() - s;
      })();
      const captionTask = (async () => {
        if (!stages.captioner) return;
        const s = now();
        try {
          const texts = await within('caption', 'captioning', stages.captioner.caption(prepared, stageOptions), stagesUntil);
          texts?.forEach((c, i) => {
            if (c?.trim()) captions.push({ image: prepared[i]!.index, text: c, backend: stages.captioner!.name });
            else emptyCaptions.push(prepared[i]!.index);
          });
        } catch (err) {
          rethrowCancel(err);
          warnings.push({ code: 'caption.failed', stage: 'caption', message: `captioning failed: ${errorText(err)}` });
        }
        timings.caption = now() - s;
      })();
      await Promise.all([ocrTask, captionTask]);
    }
    const byId = stages.captioner?.captionById;
    let captionedById = false;
    if (byId && message.messageId && captions.length === 0) {
      // A dataset post whose image is not at hand: its recorded caption, keyed by the post id.
      const c = await byId.call(stages.captioner, message.messageId).catch((err: unknown) => {
        warnings.push({ code: 'caption.failed', stage: 'caption', message: `captioning failed: ${errorText(err)}` });
        return null;
      });
      if (c) {
        captions.push({ image: 0, text: c, backend: stages.captioner!.name });
        captionedById = true;
      }
    }
    // The post's recorded caption stands in for the images' missing ones: nothing to warn about then.
    if (emptyCaptions.length && !captionedById) {
      for (const image of emptyCaptions) {
        warnings.push({
          code: 'caption.empty',
          stage: 'caption',
          image,
          message: `captioner "${stages.captioner!.name}" gave no caption for image ${image + 1} (an empty answer); recognized without one`,
        });
      }
    }

    // Each input has its own language: the text's is the Recognition's; every OCR line and block
    // carries its own, so an English message with Chinese screenshots is read by both models.
    const language = detectLanguage(message.language ?? config.language, text);
    ocrLines.forEach((line, i) => (ocrLines[i] = { ...line, language: languageOf(line.text) }));
    const ocrBlocks = groupLines(ocrLines);
    ocrBlocks.forEach((b, n) => b.lines.forEach((i) => (ocrLines[i]!.block = n)));
    const input: RecognizerInput = {
      ...(message.messageId ? { id: message.messageId } : {}),
      text,
      language,
      ocr: ocrLines,
      captions,
      ocrBlocks,
      ...(prepared.length ? { images: prepared } : {}),
      ...(message.hints ? { hints: message.hints } : {}),
    };

    t = now();
    // Knowledge and the recognizers that do not read it run side by side; only knowledge-aware
    // recognizers (local) wait for it, and not past the stages' share of the deadline.
    const knowledge = stages.knowledge;
    const knowledgeTask: Promise<string | undefined> = knowledge
      ? (async () => {
          const s = now();
          try {
            const got = await within(
              'knowledge',
              `knowledge source "${knowledge.name}"`,
              knowledge.knowledge([input], stageOptions),
              stagesUntil,
            );
            if (!got) return undefined;
            const answer = got[0];
            // A source that is configured but gave nothing (an LLM answering null or blank content)
            // is not the same as no source: the tagger runs without knowledge, and the user hears so.
            if (typeof answer !== 'string' || !answer.trim()) {
              warnings.push({
                code: 'knowledge.empty',
                stage: 'knowledge',
                message: `knowledge source "${knowledge.name}" gave no knowledge for this message (an empty answer); recognized without it`,
              });
              return undefined;
            }
            return answer;
          } catch (err) {
            rethrowCancel(err);
            warnings.push({ code: 'knowledge.failed', stage: 'knowledge', message: `knowledge source failed: ${errorText(err)}` });
            return undefined;
          } finally {
            timings.knowledge = now() - s;
          }
        })()
      : Promise.resolve(undefined);
    // Handled here so that a cancellation nobody awaits is not an unhandled rejection.
    knowledgeTask.catch(() => undefined);
    const withKnowledge = async (r: Recognizer): Promise<RecognizerInput> => {
      if (!knowledge || !isKnowledgeAware(r)) return input;
      const k = await knowledgeTask;
      return k ? { ...input, knowledge: k } : input;
    };
    const recognizerOptions: StageOptions = signal ? { signal } : {};
    // Recognizers run side by side (an LLM call need not wait for the local tagger); their
    // ranking for the merge is still their order in the config.
    const outputs: (RecognizerOutput | undefined)[] = await Promise.all(
      stages.recognizers.map(async (r) => runRecognizer(r, await withKnowledge(r), warnings, deadline, recognizerOptions)),
    );
    await knowledgeTask;
    const fallback = stages.fallback;
    if (!outputs.some((o) => o) && fallback && !stages.recognizers.every((r) => r === fallback)) {
      warnings.push({
        code: 'recognizer.fallback',
        stage: 'recognize',
        message: `answer comes from fallback recognizer "${fallback.name}"`,
      });
      // The fallback is what the user gets when the deadline has passed: it gets the reserve.
      const until = Math.max(deadline, Date.now()) + limits.deadline.reserveMs;
      outputs.push(await runRecognizer(fallback, await withKnowledge(fallback), warnings, until, recognizerOptions));
    }
    if (signal?.aborted) throw new RecognitionCancelled();
    let dropped = 0;
    const typedLists = outputs.flatMap((out) => {
      if (!out) return [];
      warnings.push(...out.warnings);
      const typed = normalizeTypes(out.entities, warnings);
      dropped += out.dropped + typed.dropped;
      return [typed.kept];
    });
    const entities = mergeEntities([hintEntities(text, message.hints, types), ...typedLists], config.recognizer.merge);
    timings.recognize = now() - t;
    timings.total = now() - t0;
    return { text, language, entities, ocr: ocrLines, ocrBlocks, captions, timings, warnings, droppedEntities: dropped };
  }

  async function close(): Promise<void> {
    const closers = [stages.ocr, stages.captioner, stages.knowledge, ...stages.recognizers, stages.fallback];
    for (const s of new Set(closers)) await s?.close?.();
    await stages.closeResources?.();
  }

  return {
    config,
    backends: {
      intake: stages.intake.name,
      ocr: stages.ocr?.name ?? 'none',
      captioner: stages.captioner?.name ?? 'none',
      knowledge: stages.knowledge?.name ?? 'none',
      recognizers: stages.recognizers.map((r) => r.name),
    },
    recognize,
    close,
  };
}
