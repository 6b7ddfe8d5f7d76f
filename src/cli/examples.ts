// `ekmm examples build|measure`: the multimodal similar-example index (src/examples/).
import { resolve } from 'node:path';
import { findSplits, readCaptions, readDataset, type SplitName } from '../data/index.ts';
import { LlmHttpClient } from '../llm/http-base.ts';
import { buildIndex, postImage } from '../examples/build.ts';
import { entryOf, readIndex, SimilarExamples, writeIndex, type Weights } from '../examples/index.ts';
import { formatRetrievalTable, measureRetrieval, type HeldOut, type RetrievalConfig } from '../examples/measure.ts';
import { ExampleIndex } from '../llm/examples.ts';
import { perceptualHash } from '../examples/phash.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';

const HELP = `Usage: ekmm examples build --data DIR --split train [--captions FILE] [--images DIR]
                           [--embeddings-url URL --embeddings-model M] --out FILE
       ekmm examples measure --index FILE --data DIR --split valid|test [--captions FILE]
                           [--images DIR] [--k 4] [--weights TEXT,CAPTION,IMAGE] [--json]

build    writes an ekmm-examples/1 index (JSONL; format in src/examples/index.ts) of the split's
         labelled posts: entities, the recorded caption (--captions, '<id>.jpg :caption' lines),
         and for posts with an image <id>.jpg|png in --images a perceptual hash, or an embedding
         from an OpenAI-compatible /v1/embeddings endpoint (--embeddings-url; key in
         EKMM_LLM_API_KEY when it needs one).
measure  for each held-out post with entities: how often the k examples retrieved by text
         (BM25), by caption, by image and by the weighted mix share an entity type / an entity
         string with it, against k random examples. Prints a Markdown table.

Examples (examples/split holds eight posts as train and as test):
  ekmm examples build --data examples/split --split train --out /tmp/ekmm-examples.jsonl
  ekmm examples measure --index /tmp/ekmm-examples.jsonl --data examples/split --split test --k 2
`;

async function splitPosts(data: string, split: string) {
  if (!['train', 'valid', 'test'].includes(split)) throw new UsageError(`--split must be train, valid or test, got '${split}'`);
  const file = (await findSplits(data))[split as SplitName];
  if (!file) throw new UsageError(`${data} has no ${split} split`);
  return { file, posts: (await readDataset(file)).posts };
}

function parseWeights(raw: string | undefined): Weights {
  if (!raw) return { text: 1, caption: 0.5, image: 0.5 };
  const parts = raw.split(',').map(Number);
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x) || x < 0))
    throw new UsageError(`--weights must be three numbers >= 0 (text,caption,image), got '${raw}'`);
  return { text: parts[0]!, caption: parts[1]!, image: parts[2]! };
}

export async function examplesCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseCommandArgs(rest, {
    data: { type: 'string' },
    split: { type: 'string' },
    captions: { type: 'string' },
    images: { type: 'string' },
    out: { type: 'string' },
    index: { type: 'string' },
    k: { type: 'string' },
    weights: { type: 'string' },
    json: { type: 'boolean' },
    'embeddings-url': { type: 'string' },
    'embeddings-model': { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help || sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (sub !== 'build' && sub !== 'measure')
    throw new UsageError(`expected "build" or "measure", got ${sub === undefined ? 'nothing' : `"${sub}"`} (see --help)`);
  if (!values.data || !values.split) throw new UsageError('--data and --split are required (see --help)');
  const { file, posts } = await splitPosts(values.data, values.split);
  const captions = values.captions ? await readCaptions(values.captions) : undefined;

  if (sub === 'build') {
    if (!values.out) throw new UsageError('--out is required (see --help)');
    let embeddings: LlmHttpClient | undefined;
    if (values['embeddings-url']) {
      if (!values['embeddings-model']) throw new UsageError('--embeddings-url needs --embeddings-model');
      embeddings = new LlmHttpClient({
        baseURL: values['embeddings-url'],
        model: values['embeddings-model'],
        apiKeyEnv: 'EKMM_LLM_API_KEY',
        timeoutMs: 20000,
        retries: 2,
        backoffMs: 500,
        maxTokens: 1,
      });
    }
    let imageErrors = 0;
    const index = await buildIndex({
      posts,
      split: values.split,
      source: file,
      captions,
      imagesDir: values.images,
      embeddings,
      onImageError: (id, message) => {
        if (imageErrors++ < 5) process.stderr.write(`ekmm examples: image of post ${id}: ${message}\n`);
      },
    });
    writeIndex(values.out, index);
    const h = index.header;
    const withImage = index.entries.filter((e) => e.phash || e.embedding).length;
    process.stderr.write(
      `ekmm examples: ${h.count} examples (${index.entries.filter((e) => e.caption).length} with captions, ${withImage} with an image signature [${h.image}], ${imageErrors} unreadable images) -> ${resolve(values.out)}\n`,
    );
    return 0;
  }

  if (!values.index) throw new UsageError('--index is required (see --help)');
  const k = integerOption(values.k, '--k', 1, 50) ?? 4;
  const weights = parseWeights(values.weights);
  const { entries } = readIndex(values.index);
  const retriever = new SimilarExamples(entries, weights);
  const heldOut: HeldOut[] = [];
  for (const post of posts) {
    const entry = entryOf(post, captions?.get(post.id));
    const img = postImage(values.images, post.id);
    heldOut.push({
      entry,
      query: { text: entry.text, caption: entry.caption, ...(img ? { phash: await perceptualHash(img) } : {}), excludeId: post.id },
    });
  }
  const hasImages = entries.some((e) => e.phash) && heldOut.some((h) => h.query.phash);
  // The retrieval the llm knowledge source used before the index: token-set Jaccard over text + caption.
  const jaccard = new ExampleIndex(entries.map((e) => ({ text: [e.text, e.caption ?? ''].join(' '), entities: e.entities })));
  const byText = new Map(entries.map((e, i) => [jaccard.examples[i]!, e]));
  const configs: RetrievalConfig[] = [
    { name: 'random', weights: null },
    {
      name: 'token-set Jaccard (before)',
      weights: null,
      retrieve: (h, n) =>
        jaccard
          .similar([h.query.text, h.query.caption ?? ''].join(' '), n + 1)
          .map((x) => byText.get(x)!)
          .filter((e) => e.id !== h.entry.id)
          .slice(0, n),
    },
    { name: 'text (BM25)', weights: { text: 1, caption: 0, image: 0 } },
    ...(captions ? [{ name: 'caption (BM25)', weights: { text: 0, caption: 1, image: 0 } }] : []),
    ...(hasImages ? [{ name: 'image (perceptual hash)', weights: { text: 0, caption: 0, image: 1 } }] : []),
    { name: 'weighted mix', weights },
  ];
  const seed = values.seed === undefined ? 12345 : Number(values.seed);
  const rows = measureRetrieval(retriever, heldOut, k, configs, seed);
  if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else {
    process.stdout.write(formatRetrievalTable(rows) + '\n');
    if (!hasImages) process.stdout.write('(no image channel: the index or the held-out posts have no images)\n');
  }
  return 0;
}
