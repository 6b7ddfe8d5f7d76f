// `ekmm export xtuner-config`: an XTuner v0.x training config for an exported data file.
import { basename, dirname, resolve } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { readRecordFile, type CheckResult } from '../finetune/check.ts';
import {
  CLIP_L14_336_IMAGE_TOKENS,
  maxLengthFor,
  METHODS,
  promptTemplateFor,
  renderXtunerConfig,
  XTUNER_PROMPT_TEMPLATES,
  type TuneMethod,
} from '../finetune/xtuner-config.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';
import { describeIssue, readAndCheck } from './export-check.ts';
import { ESTIMATE, percentile, tokenCounterFor } from '../finetune/tokens.ts';
import { writeAtomically } from './export-common.ts';

function firstPrompts(records: unknown[], format: CheckResult['format']): { system: string; inputs: string[]; image?: string } {
  const inputs: string[] = [];
  let system = '';
  let image: string | undefined;
  for (const r of records.slice(0, 2)) {
    const o = r as Record<string, unknown>;
    if (format === 'messages') {
      const messages = o.messages as Array<{ role: string; content: string }>;
      system ||= messages.find((m) => m.role === 'system')?.content ?? '';
      inputs.push(messages.find((m) => m.role === 'user')?.content ?? '');
    } else if (format === 'conversation') {
      const turn = (o.conversation as Array<{ system?: string; input: string }>)[0]!;
      system ||= turn.system ?? '';
      inputs.push(turn.input);
    } else {
      const turn = (o.conversations as Array<{ value: string }>)[0]!;
      inputs.push(turn.value.replace('<image>', '').trim());
      image ??= typeof o.image === 'string' ? o.image : undefined;
    }
  }
  return { system, inputs, ...(image === undefined ? {} : { image }) };
}

export async function xtunerConfigCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    data: { type: 'string' },
    model: { type: 'string' },
    method: { type: 'string' },
    vlm: { type: 'boolean' },
    out: { type: 'string' },
    images: { type: 'string' },
    projector: { type: 'string' },
    'visual-encoder': { type: 'string' },
    'prompt-template': { type: 'string' },
    'max-length': { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    accumulate: { type: 'string' },
    lr: { type: 'string' },
    estimate: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: ekmm export xtuner-config --data FILE --model NAME_OR_PATH --method qlora|lora|full --out FILE.py\n' +
        '       [--vlm --images DIR --projector PTH [--visual-encoder NAME]] [--prompt-template NAME] [--max-length N]\n' +
        '       [--epochs N] [--batch-size N] [--accumulate N] [--lr X] [--estimate]\n(see ekmm export --help)\n',
    );
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const { data, model, out } = values;
  if (!data || !model || !values.method || !out)
    throw new UsageError('export xtuner-config needs --data FILE, --model NAME_OR_PATH, --method qlora|lora|full and --out FILE.py');
  const method = values.method as TuneMethod;
  if (!METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got '${values.method}'`);
  if (!out.endsWith('.py')) throw new UsageError(`--out must name a .py file, got '${out}'`);
  const template = values['prompt-template'] ?? promptTemplateFor(model);
  if (!template)
    throw new UsageError(
      `no XTuner prompt template known for model '${model}'; name one with --prompt-template (${XTUNER_PROMPT_TEMPLATES.join(', ')})`,
    );
  if (!(XTUNER_PROMPT_TEMPLATES as readonly string[]).includes(template)) {
    throw new UsageError(`--prompt-template '${template}' is not in XTuner's PROMPT_TEMPLATE (${XTUNER_PROMPT_TEMPLATES.join(', ')})`);
  }
  const vlm = values.vlm === true;
  if (vlm && (!values.images || !values.projector)) {
    throw new UsageError(
      "--vlm needs --images DIR (the image folder the records' paths are relative to) and --projector PTH (the LLaVA pretrain-stage projector)",
    );
  }
  if (!vlm && (values.images || values.projector || values['visual-encoder']))
    throw new UsageError('--images, --projector and --visual-encoder go with --vlm');
  const epochs = integerOption(values.epochs, '--epochs', 1, 100) ?? 3;
  const batchSize = integerOption(values['batch-size'], '--batch-size', 1, 1024) ?? 1;
  const accumulativeCounts = integerOption(values.accumulate, '--accumulate', 1, 4096) ?? 16;
  const lr = values.lr === undefined ? (method === 'full' ? 2e-5 : 2e-4) : Number(values.lr);
  if (!(lr > 0 && lr < 1)) throw new UsageError(`--lr must be a number between 0 and 1, got '${values.lr}'`);

  // The data must pass the validator: a config for records XTuner would reject helps nobody.
  // Lengths by the model family's real tokenizer where one ships (Qwen, Llama 3), else the estimate.
  const tokens = values.estimate ? ESTIMATE : await tokenCounterFor(template);
  const checked = await readAndCheck(data, { maxLength: Number.MAX_SAFE_INTEGER, tokens, ...(vlm ? { images: values.images! } : {}) });
  if (checked.issues.length) {
    const shown = checked.issues.slice(0, 10).map((i) => `  ${describeIssue(data, i)}`);
    process.stderr.write(
      [`${data}: ${checked.invalidRecords} invalid record(s); no config written (details: ekmm export check ${data}):`, ...shown, ''].join(
        '\n',
      ),
    );
    return 1;
  }
  if (checked.records === 0 || checked.format === null) throw new UsageError(`${data} holds no records`);
  if (vlm !== (checked.format === 'llava')) {
    throw new UsageError(
      vlm
        ? `--vlm needs LLaVA records (ekmm export llava); ${data} holds ${checked.format} records`
        : `${data} holds LLaVA records; add --vlm (with --images and --projector)`,
    );
  }
  const sorted = [...checked.tokens].sort((a, b) => a - b);
  const lengths = { records: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1]! };
  const maxLength = integerOption(values['max-length'], '--max-length', 64) ?? maxLengthFor(lengths, tokens.exact);
  if (maxLength < lengths.max)
    process.stderr.write(
      `warning: --max-length ${maxLength} is below the longest record (${lengths.max} tokens); XTuner truncates those\n`,
    );
  const { items } = readRecordFile(await readFile(data, 'utf8'), data);
  const prompts = firstPrompts(
    items.map((i) => i.value),
    checked.format,
  );
  const text = renderXtunerConfig({
    dataFile: data,
    format: checked.format,
    model,
    method,
    promptTemplate: template,
    maxLength,
    lengths,
    counter: tokens,
    epochs,
    batchSize,
    accumulativeCounts,
    lr,
    system: prompts.system,
    evaluationInputs: prompts.inputs,
    provenance: `generated ${new Date().toISOString().slice(0, 10)} from ${basename(data)} (${lengths.records} records)`,
    ...(vlm
      ? {
          vlm: {
            imageFolder: values.images!,
            projector: values.projector!,
            visualEncoder: values['visual-encoder'] ?? 'openai/clip-vit-large-patch14-336',
            evaluationImage: prompts.image ? `${values.images!.replace(/\/$/, '')}/${prompts.image}` : '',
          },
        }
      : {}),
  });
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeAtomically(out, text);
  const map = vlm ? 'llava_map_fn' : checked.format === 'messages' ? 'openai_map_fn' : 'None';
  process.stderr.write(
    `wrote ${out}: ${method}${vlm ? ' LLaVA' : ''} on ${model}, prompt template ${template}, dataset_map_fn ${map}, ` +
      `max_length ${maxLength} (records: median ${lengths.p50}, p95 ${lengths.p95}, max ${lengths.max} tokens by the ${tokens.exact ? tokens.name : 'estimate'}` +
      `${vlm ? `; plus ${CLIP_L14_336_IMAGE_TOKENS} image tokens` : ''}), ${epochs} epochs, batch ${batchSize} x ${accumulativeCounts} accumulated, lr ${lr}\n`,
  );
  return 0;
}
