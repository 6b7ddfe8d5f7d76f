// `ekmm export check FILE`: which record broke which of XTuner's format rules.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRecords, readRecordFile, RULES, type CheckIssue, type CheckResult } from '../finetune/check.ts';
import { ESTIMATE, tokenCounterFor, type TokenCounter } from '../finetune/tokens.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';

const SHOWN = 50;

/** `--tokenizer`: qwen or llama3 (the real tokenizers), estimate (default). */
export async function tokenizerOption(raw: string | undefined): Promise<TokenCounter> {
  if (raw === undefined || raw === 'estimate') return ESTIMATE;
  if (raw === 'qwen') return tokenCounterFor('qwen_chat');
  if (raw === 'llama3') return tokenCounterFor('llama3_chat');
  throw new UsageError(`--tokenizer must be qwen, llama3 or estimate, got '${raw}'`);
}

export async function readAndCheck(
  file: string,
  options: { maxLength: number; images?: string; tokens?: TokenCounter },
): Promise<CheckResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const { items, issues } = readRecordFile(text, file);
  const images = options.images;
  return checkRecords(
    items,
    {
      maxLength: options.maxLength,
      ...(options.tokens ? { tokens: options.tokens } : {}),
      ...(images ? { imageExists: (rel: string) => existsSync(join(images, rel)) } : {}),
    },
    issues,
  );
}

export function describeIssue(file: string, i: CheckIssue): string {
  const where = i.line === null ? file : `${file}:${i.line}`;
  const record = i.record === 0 ? 'file' : `record ${i.record}${i.id === undefined ? '' : ` (id ${i.id})`}`;
  return `${where}: ${record}: ${i.rule}: ${i.message}`;
}

export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      images: { type: 'string' },
      'max-length': { type: 'string' },
      tokenizer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    const rules = Object.entries(RULES)
      .map(([k, v]) => `  ${k.padEnd(13)} ${v}`)
      .join('\n');
    process.stdout.write(
      `Usage: ekmm export check FILE [--images DIR] [--max-length N] [--tokenizer qwen|llama3|estimate]\n\nRules:\n${rules}\n\nExit codes: 0 valid, 1 invalid records, 2 bad usage.\n`,
    );
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('export check needs exactly one FILE (JSONL, or a .json array of LLaVA records)');
  const file = positionals[0]!;
  const maxLength = integerOption(values['max-length'], '--max-length', 1) ?? 2048;
  const tokens = await tokenizerOption(values.tokenizer);
  const result = await readAndCheck(file, { maxLength, tokens, ...(values.images ? { images: values.images } : {}) });
  const lines = result.issues.slice(0, SHOWN).map((i) => describeIssue(file, i));
  if (result.issues.length > SHOWN) lines.push(`... and ${result.issues.length - SHOWN} more`);
  const byRule = new Map<string, number>();
  for (const i of result.issues) byRule.set(i.rule, (byRule.get(i.rule) ?? 0) + 1);
  const max = result.tokens.length ? Math.max(...result.tokens) : 0;
  lines.push(
    `${file}: ${result.records} ${result.format ?? 'unrecognised'} records, ${result.invalidRecords} invalid` +
      (byRule.size ? ` (${[...byRule].map(([r, n]) => `${r} ${n}`).join(', ')})` : '') +
      `; longest ${tokens.exact ? '' : 'about '}${max} tokens (${tokens.exact ? tokens.name : 'estimated'}, --max-length ${maxLength})`,
  );
  (result.issues.length ? process.stderr : process.stdout).write(lines.join('\n') + '\n');
  if (result.records === 0 && result.issues.length === 0) {
    process.stderr.write(`${file}: no records\n`);
    return 1;
  }
  return result.issues.length ? 1 : 0;
}
