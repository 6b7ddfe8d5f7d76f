// `ekmm export check`: validates fine-tuning files against the rules XTuner's loaders rely on,
// naming the record (and line) and the rule that broke. Checked against:
// - xtuner/dataset/map_fns/dataset_map_fns/openai_map_fn.py (`messages`: roles system/user/assistant,
//   any other role raises NotImplementedError, a trailing user turn is silently dropped);
// - xtuner/dataset/map_fns/template_map_fn.py (`conversation`: turns of system?/input/output);
// - xtuner/dataset/map_fns/dataset_map_fns/llava_map_fn.py and xtuner/dataset/llava.py (`conversations`
//   from human/gpt, `id` read for every record, `image` relative to image_folder, .json array or .jsonl).
import { ESTIMATE, TEMPLATE_OVERHEAD_PER_MESSAGE, type TokenCounter } from './tokens.ts';
import { IMAGE_TOKEN } from './llava.ts';

export type RecordFormat = 'messages' | 'conversation' | 'llava';

export const RULES = {
  json: 'each record is a JSON object (one per line in JSONL; a JSON array of objects in .json)',
  'blank-line': "JSONL has no blank lines (XTuner's load_jsonl parses every line)",
  format: 'a record has exactly one of "messages", "conversation" or "conversations" (LLaVA)',
  'mixed-format': 'every record has the format of the first',
  roles: 'messages roles are system/user/assistant; LLaVA turns are from human/gpt',
  order:
    'turns alternate user->assistant (human->gpt), start with the user (a system message only before a user turn) and end with the answer',
  content: 'every message text is a non-empty string',
  'empty-answer': 'every answer (assistant / gpt / output) is a non-empty string',
  id: 'LLaVA records have an "id" (string or integer)',
  image: 'LLaVA "image" is a non-empty path relative to the image folder, and the file exists there (with --images)',
  'image-token': `a record with an image has ${IMAGE_TOKEN} exactly once, in its first human turn; one without has none`,
  'too-long': 'the estimated token length of a record is within --max-length',
} as const;

export type RuleName = keyof typeof RULES;

export interface CheckIssue {
  /** 1-based record number. */
  record: number;
  /** 1-based line of the record in a JSONL file (null in a .json array). */
  line: number | null;
  id?: string;
  rule: RuleName;
  message: string;
}

export interface CheckOptions {
  maxLength: number;
  /** Whether an image path (relative to the image folder) exists; absent: not checked. */
  imageExists?: (relative: string) => boolean;
  /** Counts the tokens of the length rule (default: the estimate). */
  tokens?: TokenCounter;
}

export interface CheckResult {
  format: RecordFormat | null;
  records: number;
  invalidRecords: number;
  issues: CheckIssue[];
  /** Tokens per record that could be measured (message texts plus a per-message template allowance). */
  tokens: number[];
}

interface Item {
  value: unknown;
  line: number | null;
}

/** Records of a JSONL or .json file, with JSON and blank-line problems as issues. */
export function readRecordFile(text: string, file: string): { items: Item[]; issues: CheckIssue[] } {
  const issues: CheckIssue[] = [];
  if (file.toLowerCase().endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { items: [], issues: [{ record: 0, line: null, rule: 'json', message: `the file is not JSON: ${(err as Error).message}` }] };
    }
    if (!Array.isArray(parsed))
      return { items: [], issues: [{ record: 0, line: null, rule: 'json', message: 'a .json file must hold an array of records' }] };
    return { items: parsed.map((value) => ({ value, line: null })), issues };
  }
  const items: Item[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) {
      issues.push({ record: items.length + 1, line: i + 1, rule: 'blank-line', message: 'blank line' });
      return;
    }
    try {
      items.push({ value: JSON.parse(line), line: i + 1 });
    } catch (err) {
      items.push({ value: undefined, line: i + 1 });
      issues.push({ record: items.length, line: i + 1, rule: 'json', message: `not JSON: ${(err as Error).message}` });
    }
  });
  return { items, issues };
}

function formatOf(o: Record<string, unknown>): RecordFormat | RecordFormat[] | null {
  const found: RecordFormat[] = [];
  if ('messages' in o) found.push('messages');
  if ('conversation' in o) found.push('conversation');
  if ('conversations' in o) found.push('llava');
  return found.length === 1 ? found[0]! : found.length === 0 ? null : found;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const count = (s: string, token: string) => s.split(token).length - 1;

type Report = (rule: RuleName, message: string) => void;

/** Texts (for the length estimate) of a `messages` record, reporting rule breaks. */
function checkMessages(messages: unknown, report: Report): string[] {
  if (!Array.isArray(messages) || messages.length === 0) return (report('format', '"messages" must be a non-empty array'), []);
  const texts: string[] = [];
  let expect: 'user' | 'assistant' = 'user';
  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    if (!m || typeof m !== 'object') return report('format', `${where} is not an object`);
    const { role, content } = m as Record<string, unknown>;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') return report('roles', `${where}.role is ${JSON.stringify(role)}`);
    if (typeof content !== 'string') return report('content', `${where}.content is not a string`);
    texts.push(content);
    if (role === 'system') {
      if (expect !== 'user') report('order', `${where} is a system message between a user message and its answer`);
      return;
    }
    if (role !== expect) return report('order', `${where} is ${role} where ${expect} was expected`);
    if (role === 'assistant' && !isText(content)) report('empty-answer', `${where} (assistant) is empty`);
    if (role === 'user' && !isText(content)) report('content', `${where} (user) is empty`);
    expect = role === 'user' ? 'assistant' : 'user';
  });
  const last = messages[messages.length - 1] as Record<string, unknown> | undefined;
  if (last && last.role !== 'assistant')
    report('order', "the last message is not the assistant's answer (openai_map_fn drops a trailing user turn)");
  return texts;
}

function checkConversation(conversation: unknown, report: Report): string[] {
  if (!Array.isArray(conversation) || conversation.length === 0) return (report('format', '"conversation" must be a non-empty array'), []);
  const texts: string[] = [];
  conversation.forEach((t, i) => {
    const where = `conversation[${i}]`;
    if (!t || typeof t !== 'object') return report('format', `${where} is not an object`);
    const { system, input, output } = t as Record<string, unknown>;
    if (system !== undefined && typeof system !== 'string') report('content', `${where}.system is not a string`);
    if (!isText(input)) report('content', `${where}.input is missing or empty`);
    if (!isText(output)) report('empty-answer', `${where}.output is missing or empty`);
    for (const v of [system, input, output]) if (typeof v === 'string') texts.push(v);
  });
  return texts;
}

function checkLlava(o: Record<string, unknown>, report: Report, opts: CheckOptions): string[] {
  if (typeof o.id !== 'string' && !Number.isInteger(o.id)) report('id', '"id" is missing or neither a string nor an integer');
  const hasImage = o.image !== undefined && o.image !== null;
  if (hasImage) {
    if (!isText(o.image)) report('image', '"image" is not a non-empty string');
    else if (o.image.startsWith('/')) report('image', `"image" ${o.image} is absolute; it must be relative to the image folder`);
    else if (opts.imageExists && !opts.imageExists(o.image)) report('image', `image file ${o.image} does not exist in the image folder`);
  }
  const turns = o.conversations;
  if (!Array.isArray(turns) || turns.length === 0) return (report('format', '"conversations" must be a non-empty array'), []);
  const texts: string[] = [];
  turns.forEach((t, i) => {
    const where = `conversations[${i}]`;
    if (!t || typeof t !== 'object') return report('format', `${where} is not an object`);
    const { from, value } = t as Record<string, unknown>;
    if (from !== 'human' && from !== 'gpt') return report('roles', `${where}.from is ${JSON.stringify(from)}`);
    const expected = i % 2 === 0 ? 'human' : 'gpt';
    if (from !== expected) report('order', `${where} is from ${from} where ${expected} was expected`);
    if (!isText(value)) return report(from === 'gpt' ? 'empty-answer' : 'content', `${where} (${from}) is empty`);
    texts.push(value.replaceAll(IMAGE_TOKEN, ''));
    const n = count(value, IMAGE_TOKEN);
    if (n > 0 && (i !== 0 || !hasImage))
      report('image-token', `${where} has ${IMAGE_TOKEN}${hasImage ? ' outside the first human turn' : ' but the record has no image'}`);
    if (i === 0 && hasImage && n !== 1) report('image-token', `the first human turn has ${IMAGE_TOKEN} ${n} times, not once`);
  });
  if (turns.length % 2 === 1) report('order', 'the last turn is not from gpt (the human turn gets no answer)');
  return texts;
}

export function checkRecords(items: readonly Item[], opts: CheckOptions, earlier: readonly CheckIssue[] = []): CheckResult {
  const issues: CheckIssue[] = [...earlier];
  const tokens: number[] = [];
  let format: RecordFormat | null = null;
  items.forEach(({ value, line }, i) => {
    const record = i + 1;
    if (value === undefined && earlier.some((e) => e.record === record && e.rule === 'json')) return;
    const id = value && typeof value === 'object' && 'id' in value ? String((value as Record<string, unknown>).id) : undefined;
    const report: Report = (rule, message) => issues.push({ record, line, ...(id === undefined ? {} : { id }), rule, message });
    if (!value || typeof value !== 'object' || Array.isArray(value)) return report('json', 'the record is not a JSON object');
    const o = value as Record<string, unknown>;
    const f = formatOf(o);
    if (f === null) return report('format', 'none of "messages", "conversation", "conversations" is present');
    if (Array.isArray(f)) return report('format', `it has ${f.map((x) => `"${x === 'llava' ? 'conversations' : x}"`).join(' and ')}`);
    format ??= f;
    if (f !== format) return report('mixed-format', `a ${f} record in a ${format} file`);
    const texts =
      f === 'messages'
        ? checkMessages(o.messages, report)
        : f === 'conversation'
          ? checkConversation(o.conversation, report)
          : checkLlava(o, report, opts);
    const counter = opts.tokens ?? ESTIMATE;
    const n = texts.reduce((sum, t) => sum + counter.count(t) + TEMPLATE_OVERHEAD_PER_MESSAGE, 0);
    tokens.push(n);
    if (n > opts.maxLength)
      report(
        'too-long',
        `${counter.exact ? '' : 'about '}${n} tokens (${counter.exact ? counter.name : 'estimated'}), over --max-length ${opts.maxLength}`,
      );
  });
  const invalid = new Set(issues.map((x) => x.record));
  return { format, records: items.length, invalidRecords: invalid.size, issues, tokens };
}
