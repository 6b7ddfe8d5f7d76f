// `ekmm tag`: runs a local NER model over a tokenized dataset file and writes its predictions in
// the same format (one tag per input token; post order, IMGID/WID lines and layout kept).
import { attachKnowledge, readCaptions, writeDataset, type Post } from '../data/index.ts';
import { Tagger } from '../recognizers/local/tagger.ts';
import { integerOption, parseCommandArgs, requireInputFile, UsageError } from './args.ts';
import { committedModels, datasetLanguage, readInputDataset, resolveModelDir } from './inputs.ts';
import { createProgress } from './progress.ts';

/** Posts per tagger call: small enough for a progress line to move, big enough to batch well. */
const CHUNK = 512;

const HELP = `Usage: ekmm tag --model en|zh|DIR --input FILE --output FILE
                [--captions FILE] [--knowledge FILE] [--threads N]

Tags every post of FILE (Twitter IMGID, CMNER WID, CoNLL or JSONL) with the local BiLSTM-CRF
model and writes the predictions in the input's format; the input's tags are replaced.
  --model en|zh     the committed models/ner-en or models/ner-zh, or a model directory; with
                    --knowledge, en means the dedicated models/ner-en-knowledge where committed
  --captions FILE   '<IMGID>.jpg :<caption>' lines; a post's caption feeds the model's caption
                    feature (English model only)
  --knowledge FILE  PGIM-style recorded LLM knowledge, attached by order with a token check;
                    feeds the model's knowledge features (English model only)
Prints posts/s and how many posts had knowledge/captions to stderr (and progress when stderr
is a terminal). Warns when the model's language is not the input's.
Exit codes: 0 written, 1 an input file could not be used, 2 bad usage (e.g. an unknown --model).

Example:
  ekmm tag --model en --input examples/tweets.txt --output /tmp/ekmm-pred.txt
`;

/** Model types written back in the spelling the input file uses (Twitter-2017 says MISC). */
function typeSpelling(posts: readonly Post[]): Map<string, string> {
  const types = new Set(posts.flatMap((p) => p.tags.map((t) => t.slice(2))));
  const map = new Map<string, string>();
  if (types.has('MISC') && !types.has('OTHER')) map.set('OTHER', 'MISC');
  if (types.has('OTHER') && !types.has('MISC')) map.set('MISC', 'OTHER');
  return map;
}

export async function tagCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    model: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    captions: { type: 'string' },
    knowledge: { type: 'string' },
    threads: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.model || !values.input || !values.output) throw new UsageError('--model, --input and --output are required (see --help)');
  const threads = integerOption(values.threads, '--threads', 1) ?? 1;
  // posts with recorded knowledge are what the dedicated knowledge model is for (as in serving)
  const knowledgeModel = values.model === 'en' && values.knowledge && (await committedModels()).includes('en-knowledge');
  const dir = await resolveModelDir(knowledgeModel ? 'en-knowledge' : values.model);

  const dataset = await readInputDataset(values.input, '--input');
  const posts = dataset.posts;
  let knowledge: (string | null)[] | undefined;
  if (values.knowledge) {
    const attached = await attachKnowledge(posts, await requireInputFile(values.knowledge, '--knowledge'));
    knowledge = attached.knowledge;
    for (const p of attached.problems.slice(0, 5)) {
      process.stderr.write(`ekmm tag: knowledge: post ${p.index}${p.id ? ` (${p.id})` : ''}: ${p.reason}\n`);
    }
    if (attached.problems.length > 0) {
      process.stderr.write(`ekmm tag: ${attached.problems.length} knowledge problem(s); those posts are tagged without knowledge\n`);
    }
  }
  let captions: (string | null)[] | undefined;
  if (values.captions) {
    const byId = await readCaptions(await requireInputFile(values.captions, '--captions'));
    captions = posts.map((p) => byId.get(p.id) ?? null);
  }

  const tagger = await Tagger.load(dir, { intraOpNumThreads: threads });
  try {
    if ((knowledge || captions) && !tagger.usesKnowledge) {
      process.stderr.write(`ekmm tag: the ${tagger.language} model has no knowledge/caption channel; --knowledge/--captions ignored\n`);
    }
    const inputLanguage = datasetLanguage(dataset);
    if (inputLanguage !== tagger.language) {
      const names = { en: 'English', zh: 'Chinese' };
      process.stderr.write(
        `ekmm tag: warning: --input ${values.input} looks ${names[inputLanguage]} but --model ${values.model} is the ` +
          `${names[tagger.language]} model; use --model ${inputLanguage} for ${names[inputLanguage]} text\n`,
      );
    }
    const started = performance.now();
    const progress = createProgress(`ekmm tag: ${values.input}`, { unit: 'posts', total: posts.length });
    const tags: string[][] = [];
    try {
      for (let from = 0; from < posts.length; from += CHUNK) {
        const to = Math.min(posts.length, from + CHUNK);
        tags.push(
          ...(await tagger.tag(
            posts.slice(from, to).map((p) => p.tokens),
            knowledge?.slice(from, to),
            captions?.slice(from, to),
          )),
        );
        progress.update(to);
      }
    } finally {
      progress.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const spelling = typeSpelling(posts);
    const out = posts.map((p, i) => ({
      ...p,
      tags: tags[i]!.map((t) => (t === 'O' ? t : `${t.slice(0, 2)}${spelling.get(t.slice(2)) ?? t.slice(2)}`)),
    }));
    await writeDataset(out, values.output, dataset.format, dataset.layout);
    const withK = knowledge?.filter((k) => k !== null).length ?? 0;
    const withC = captions?.filter((c) => c !== null).length ?? 0;
    process.stderr.write(
      `ekmm tag: ${posts.length} posts (${withK} with knowledge, ${withC} with captions) in ${seconds.toFixed(2)} s ` +
        `= ${Math.round(posts.length / Math.max(seconds, 1e-9))} posts/s -> ${values.output}\n`,
    );
  } finally {
    await tagger.close();
  }
  return 0;
}
