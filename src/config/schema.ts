// The whole configuration tree. Every object is strict: an unknown key is an error at start-up.
import { z } from 'zod';
import { templateSettingsSchema } from './template-settings.ts';
import { MARKUP_RULES } from './markup-rules.ts';

const httpClient = z
  .object({
    /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (vLLM, LMDeploy, Ollama, llama.cpp). */
    baseURL: z.string().url(),
    model: z.string().min(1),
    /** Name of the environment variable holding the API key; the key itself never lives in config. */
    apiKeyEnv: z.string().default('EKMM_LLM_API_KEY'),
    timeoutMs: z.number().int().positive().default(20000),
    retries: z.number().int().min(0).max(10).default(2),
    backoffMs: z.number().int().min(0).default(500),
    maxTokens: z.number().int().positive().default(512),
    /** Answers larger than this are cut off while reading and fail with llm.too_large (a 300 MB answer once took 2 GB). */
    maxAnswerBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Circuit breaker per backend: open after this many failures in a row, probe again after halfOpenAfterMs. */
    breaker: z
      .object({
        failures: z.number().int().min(1).default(5),
        halfOpenAfterMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** A recorded answer file: JSONL keyed by post id, or a PGIM knowledge file (keyed through `posts`, or by its tokens). */
const recordedFile = z
  .object({
    /** JSONL `{"id", "entities": [{"text", "type"}]}` / `{"id", "text"}`, or a PGIM knowledge file (`<EOS>` lines). */
    file: z.string(),
    /** The dataset split a PGIM file was written for: its items are paired with these posts by order (token-checked) to get their ids. */
    posts: z.string().optional(),
  })
  .strict();

/** A live model's answers are appended to this JSONL file in the `recorded` format, so a run can be replayed. */
const recordTo = { record: z.string().optional() };
/** Limits that keep one message from stalling the service (README "Limits and deadlines"). */
const limits = z
  .object({
    /** Longest text per input, in UTF-16 code units: bots cut past it with a warning, the API answers 413. */
    textChars: z
      .object({
        discord: z.number().int().positive().default(2000),
        telegram: z.number().int().positive().default(4096),
        api: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
    /** Images per message: bots keep the first ones with a warning, the API answers 413. */
    imagesPerMessage: z.number().int().min(0).default(10),
    /** One deadline per message, split across the stages; past it the reply has what is done plus a warning. */
    deadline: z
      .object({
        textMs: z.number().int().positive().default(5000),
        imagesMs: z.number().int().positive().default(20_000),
        /** Kept back from the stages before recognition so the local recognizer can always answer in time. */
        reserveMs: z.number().int().min(0).default(500),
      })
      .strict()
      .prefault({}),
    /**
     * Text-only messages run in a lane of their own beside guards.concurrency (the lane for
     * messages with images), so text never waits behind OCR.
     */
    textLane: z
      .object({
        concurrency: z.number().int().positive().default(2),
        queueSize: z.number().int().min(0).default(200),
      })
      .strict()
      .prefault({}),
    /** Per client address on the web API (refused with 429 / 503). */
    web: z
      .object({
        connectionsPerClient: z.number().int().positive().default(16),
        requestsPerClientPerMinute: z.number().int().positive().default(120),
        /** Recognition requests one client address may have admitted at once (waiting or running): its share of the lanes. */
        inFlightPerClient: z.number().int().positive().default(4),
        maxConnections: z.number().int().positive().default(512),
        /**
         * Bytes of request bodies admitted at once (declared Content-Length, held until the reply): past it, 503 before
         * reading. One body is always admitted alone, however large. 8 MiB: in bench/abuse.ts, 40 uploads of 7 MB peaked
         * at 790 MB RSS with 64 MiB (nine admitted), 660-690 MB with 16 MiB, 560-590 MB with 8 MiB (one at a time; OCR,
         * one worker, takes them one at a time anyway).
         */
        bodyBytesInFlight: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
        /** A request (headers and body) must arrive within this; a slow upload is cut. */
        requestTimeoutMs: z.number().int().positive().default(30_000),
        /** Host header names accepted besides localhost/127.0.0.1/::1 (a reverse proxy's name); empty on a wildcard listen address accepts any. */
        allowedHosts: z.array(z.string()).default([]),
        /** Origins (scheme://host:port) allowed to POST from a browser besides the page itself. */
        allowedOrigins: z.array(z.string()).default([]),
        /** Refusals are logged at most once per this interval, as one line with counts by reason. */
        refusalLogIntervalMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    /** Default language of messages that do not say. */
    language: z.enum(['en', 'zh', 'auto']).default('auto'),
    entityTypes: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/))
      .min(1)
      .default(['PER', 'LOC', 'ORG', 'OTHER']),
    /** Label spellings accepted from datasets and LLMs, mapped onto entityTypes. */
    typeAliases: z.record(z.string(), z.string()).default({ MISC: 'OTHER' }),
    plugins: z.array(z.string()).default([]),

    intake: z
      .object({
        backend: z.string().default('sharp'),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(20 * 1024 * 1024),
        maxPixels: z.number().int().positive().default(40_000_000),
        maxSide: z.number().int().positive().default(1280),
        allowSvg: z.boolean().default(false),
        /** "host" (default port) or "host:port" images may be fetched from by URL; empty means URLs are refused. */
        urlHosts: z.array(z.string()).default([]),
        /** Fetch URLs whose host resolves to a private, loopback or link-local address (off: such URLs are refused). */
        allowPrivateAddresses: z.boolean().default(false),
        fetchTimeoutMs: z.number().int().positive().default(10000),
        /** Files may only be read from these directories (CLI passes the cwd); empty refuses paths. */
        pathRoots: z.array(z.string()).default([]),
        /** Bytes of prepared PNGs kept in memory by content hash, so a repeated image skips decoding; 0 disables. */
        memoBytes: z
          .number()
          .int()
          .min(0)
          .default(64 * 1024 * 1024),
      })
      .strict()
      .prefault({}),

    ocr: z
      .object({
        backend: z.string().default('ppocr'),
        /** Worker threads running OCR off the event loop. */
        workers: z.number().int().min(1).max(16).default(1),
        /** Lines with a lower recognition score are dropped from results (and counted in a warning). */
        minScore: z.number().min(0).max(1).default(0.5),
        /** Longest side fed to the text detector. */
        detMaxSide: z.number().int().positive().default(960),
        /**
         * PP-OCRv4 weights: "fold" (default: the shipped weights with the affine blocks folded into the
         * convolutions, models/ppocr-fold; reads the same text, faster: README "OCR speed"), "fp32" as
         * shipped, or "int8-det" (the detector quantized, models/ppocr-int8; same accuracy, not faster).
         */
        model: z.enum(['int8-det', 'fp32', 'fold']).default('fold'),
        /** Restore spaces dropped by the recognizer between English words. */
        englishSpacing: z.boolean().default(true),
        timeoutMs: z.number().int().positive().default(30000),
      })
      .strict()
      .prefault({}),

    captioner: z
      .object({
        backend: z.enum(['none', 'openai', 'recorded']).or(z.string()).default('none'),
        openai: httpClient
          .extend({ prompt: z.string().default('Describe this image in one sentence.') })
          .strict()
          .optional(),
        recorded: z.object({ file: z.string() }).strict().optional(),
      })
      .strict()
      .prefault({}),

    knowledge: z
      .object({
        backend: z.string().default('none'),
        llm: httpClient.extend(recordTo).strict().optional(),
        /** Backend `recorded`: knowledge text recorded earlier (PGIM files, or JSONL {"id", "text"}). */
        recorded: recordedFile.optional(),
        /** Weights and sources of the multimodal similar-example retrieval (see src/examples/). */
        similar: z
          .object({
            /** An index built by `ekmm examples build`; used instead of examplesFile when set. */
            index: z.string().optional(),
            text: z.number().min(0).default(1),
            caption: z.number().min(0).default(0.5),
            image: z.number().min(0).default(0.5),
            /** OpenAI-compatible /v1/embeddings endpoint for image similarity; perceptual hashes otherwise. */
            embeddings: httpClient.optional(),
          })
          .strict()
          .prefault({}),
        /** JSONL or CoNLL file of labelled examples used as few-shot demonstrations. */
        examplesFile: z.string().optional(),
        examples: z.number().int().min(0).max(20).default(4),
      })
      .strict()
      .prefault({}),

    recognizer: z
      .object({
        /** Recognizers run in this order; see README "Merge policy". */
        backends: z.array(z.string()).min(1).default(['local']),
        merge: z.enum(['first-wins', 'union']).default('first-wins'),
        /** Backend used when another errors or times out; always answers. */
        fallback: z.string().default('local'),
        llm: httpClient
          .extend({
            structuredOutput: z.enum(['auto', 'json_schema', 'json_object', 'none']).default('auto'),
            ...recordTo,
            /** Prompt with the fine-tuning template a model was trained on (see `ekmm export xtuner`). */
            template: templateSettingsSchema.optional(),
          })
          .strict()
          .optional(),
        /** Backend `vlm`: an OpenAI-compatible vision chat model sees the images and the text and names the entities. */
        vlm: httpClient
          .extend({
            structuredOutput: z.enum(['auto', 'json_schema', 'json_object', 'none']).default('auto'),
            /** Images sent per message (the first ones); the rest are not shown to the model. */
            maxImages: z.number().int().min(1).max(16).default(4),
            ...recordTo,
          })
          .strict()
          .optional(),
        /** Backend `recorded`: entity lists recorded earlier, aligned exactly like the llm recognizer's answers. */
        recorded: recordedFile.optional(),
        local: z
          .object({
            en: z.string().default('models/ner-en'),
            zh: z.string().default('models/ner-zh'),
            /** A dedicated English model for posts with recorded knowledge (manifest setting "knowledge"); null: `en` serves both. */
            enKnowledge: z.string().nullable().default('models/ner-en-knowledge'),
            /** Run the tagger on OCR lines and captions as well as the text. */
            tagOcr: z.boolean().default(true),
            tagCaptions: z.boolean().default(false),
            /** Normalise chat markup (hashtags, mentions, custom emoji, URLs, emoji, elongations, ALL CAPS) before tagging. */
            markup: z.boolean().default(true),
            /** Which markup rules apply (default: those measured to help; see README "Chat markup"). */
            markupRules: z.array(z.enum(MARKUP_RULES)).optional(),
            /** Read OCR lines grouped into text blocks, so a name wrapped over lines is one entity (false: line by line). */
            blocks: z.boolean().default(true),
            /** Latin runs inside Chinese text (and Han runs inside English) also read by the other language's model. */
            mixedScript: z.enum(['none', 'runs', 'runs-exclusive']).default('runs'),
            /** Worker threads per model that run the tagger off the event loop (0: in-process). See README "Hardening". */
            workerThreads: z.number().int().min(0).max(8).default(0),
          })
          .strict()
          .prefault({}),
        gazetteer: z
          .object({
            /** type -> names; a stand-in recognizer, named as such in results. */
            entries: z.record(z.string(), z.array(z.string())).default({}),
            file: z.string().optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),

    cache: z
      .object({
        enabled: z.boolean().default(true),
        /** sqlite:///abs/path, sqlite://relative/path, redis://host:port, or memory:// */
        url: z.string().default('sqlite://var/cache.sqlite'),
        ttlDays: z.number().positive().default(30),
      })
      .strict()
      .prefault({}),

    server: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(25 * 1024 * 1024),
        /** Env var holding the moderator token for /api/stats. */
        moderatorTokenEnv: z.string().default('EKMM_MODERATOR_TOKEN'),
        /** Base of the dashboard links the bots hand out (`<publicUrl>/dashboard#t=…`); the server's own address when unset. */
        publicUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** Lifetime of a dashboard link in hours. */
        dashboardTokenHours: z
          .number()
          .positive()
          .max(24 * 31)
          .default(24),
      })
      .strict()
      .prefault({}),

    limits,

    stats: z
      .object({
        url: z.string().default('sqlite://var/stats.sqlite'),
        retentionDays: z.number().int().positive().default(90),
      })
      .strict()
      .prefault({}),

    /** Moderators' watchlists and alerts (src/watch/): kept in the store on stats.url. */
    watch: z
      .object({
        /** At most one alert per community and entity in this many minutes. */
        alertWindowMinutes: z
          .number()
          .int()
          .positive()
          .max(7 * 24 * 60)
          .default(10),
        /** Entries one community's watchlist may hold. */
        maxEntries: z.number().int().positive().max(10_000).default(200),
      })
      .strict()
      .prefault({}),

    guards: z
      .object({
        perUserPerMinute: z.number().int().positive().default(20),
        perCommunityPerMinute: z.number().int().positive().default(300),
        queueSize: z.number().int().positive().default(200),
        concurrency: z.number().int().positive().default(2),
      })
      .strict()
      .prefault({}),

    /**
     * Recognition on BullMQ workers (`ekmm worker`). Without `url` everything runs in the serve
     * process (the embedded default); with it, serve enqueues each message and waits for a worker.
     */
    queue: z
      .object({
        /** redis://[user:password@]host:port[/db] (rediss:// for TLS). Unset: recognition in-process. */
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
          .optional(),
        /** BullMQ queue name; serve and its workers must agree. */
        name: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/)
          .default('ekmm-recognize'),
        /** A job running longer than this fails on the worker (and is retried while attempts remain). */
        jobTimeoutMs: z.number().int().positive().default(60_000),
        /** Tries per job, the first included (a crash or timeout uses one). */
        attempts: z.number().int().min(1).max(20).default(3),
        /** First retry delay; doubles each retry (BullMQ exponential backoff). */
        backoffMs: z.number().int().min(0).default(1000),
        /** How long serve waits for a worker's answer before telling the user it failed. */
        replyTimeoutMs: z.number().int().positive().default(30_000),
        /** Jobs run at once per `ekmm worker` process (--concurrency overrides). */
        concurrency: z.number().int().min(1).max(256).default(1),
        /** Worker lock: a worker that stops renewing it (kill -9) loses the job after this long. */
        lockDurationMs: z.number().int().min(1000).default(30_000),
        /** How often workers look for stalled jobs (ones whose lock expired) and put them back. */
        stalledIntervalMs: z.number().int().min(500).default(30_000),
        /** Finished jobs kept in Redis for inspection; older ones are removed. */
        keepCompleted: z.number().int().min(0).default(100),
        /** Failed jobs kept for `ekmm queue failed` / `retry`. */
        keepFailed: z.number().int().min(0).default(1000),
      })
      .strict()
      .prefault({}),

    discord: z
      .object({
        tokenEnv: z.string().default('DISCORD_TOKEN'),
        /** Overrides for tests against an emulator; real deployments leave these unset. */
        apiBase: z.string().optional(),
        defaultMode: z.enum(['mention', 'auto', 'passive']).default('mention'),
        cdnHosts: z.array(z.string()).default(['cdn.discordapp.com', 'media.discordapp.net']),
        /**
         * Gateway sharding. Unset: one client in the serve process. `auto` (Discord's recommended
         * count from GET /gateway/bot) or a number: discord.js's ShardingManager runs each shard
         * in its own process, all with the same config (with queue.url they all enqueue to BullMQ).
         */
        shards: z.union([z.literal('auto'), z.number().int().min(1).max(1024)]).optional(),
        /** Wait between starting shard processes (Discord allows one IDENTIFY per 5 s per bucket). */
        shardSpawnDelayMs: z.number().int().min(0).default(5500),
      })
      .strict()
      .prefault({}),

    telegram: z
      .object({
        tokenEnv: z.string().default('TELEGRAM_BOT_TOKEN'),
        apiRoot: z.string().optional(),
        mode: z.enum(['polling', 'webhook']).default('polling'),
        webhook: z
          .object({ domain: z.string(), path: z.string().default('/telegram'), port: z.number().int().default(8443) })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type EkmmConfig = z.infer<typeof configSchema>;
type ParsedLlmClient = z.infer<typeof httpClient>;
/** An LLM client's settings; the hardening keys may be left out by code that builds one by hand (tests, plugins). */
export type LlmClientConfig = Omit<ParsedLlmClient, 'maxAnswerBytes' | 'breaker'> &
  Partial<Pick<ParsedLlmClient, 'maxAnswerBytes' | 'breaker'>>;
export type LimitsConfig = z.infer<typeof limits>;
