// Lenient reading of an LLM's entity answer: <think> blocks, code fences, preamble text, JSON in
// several shapes, JSON cut off at max_tokens, or a plain numbered list.
export interface Proposal {
  text: string;
  label: string;
}

export interface ParsedAnswer {
  proposals: Proposal[];
  /** Codes of oddities met while parsing (the caller turns them into warnings). */
  notes: Array<{ code: string; message: string }>;
}

const TEXT_KEYS = ['text', 'name', 'entity', 'mention', 'span', 'word', 'value'];
const LABEL_KEYS = ['type', 'label', 'category', 'entity_type', 'entityType', 'tag', 'class'];

export function stripThinking(content: string): { text: string; unclosed: boolean } {
  let text = content.replace(/<think>[\s\S]*?<\/think>/gi, '');
  // Some chat templates open the block in the prompt, so only the closing tag is in the answer.
  const close = text.toLowerCase().lastIndexOf('</think>');
  if (close >= 0) text = text.slice(close + '</think>'.length);
  const open = text.toLowerCase().indexOf('<think>');
  if (open >= 0) return { text: text.slice(0, open), unclosed: true };
  return { text, unclosed: false };
}

/** The first fenced block holding JSON, and whether prose came before it. */
function unfence(text: string): { body: string; before: string } {
  for (const m of text.matchAll(/```[a-zA-Z]*\s*\n?([\s\S]*?)(?:```|$)/g)) {
    if (/[{[]/.test(m[1] ?? '')) return { body: m[1]!, before: text.slice(0, m.index) };
  }
  return { body: text, before: '' };
}

/** Index just past the bracket that closes the one at `start`, or -1 when the text ends first. */
function balancedEnd(s: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') stack.push(c === '{' ? '}' : ']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

/** Every complete innermost {...} and [...] in possibly broken JSON, parsed where possible. */
export function leafValues(s: string): unknown[] {
  const out: unknown[] = [];
  const stack: Array<{ start: number; hasChild: boolean }> = [];
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      if (parent) parent.hasChild = true;
      stack.push({ start: i, hasChild: false });
    } else if (c === '}' || c === ']') {
      const frame = stack.pop();
      if (frame && !frame.hasChild) {
        const fragment = s.slice(frame.start, i + 1);
        try {
          out.push(JSON.parse(fragment));
        } catch {
          // Python-style ['Smash Shiba', 'PER'] as some models (and PGIM's recorded answers) write it.
          try {
            out.push(JSON.parse(fragment.replace(/'([^'"\\]*)'/g, '"$1"')));
          } catch {
            /* an incomplete or invalid fragment: skip it */
          }
        }
      }
    }
  }
  return out;
}

function pick(o: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) if (typeof o[k] === 'string') return o[k] as string;
  const lower = new Map(Object.keys(o).map((k) => [k.toLowerCase(), k]));
  for (const k of keys) {
    const real = lower.get(k.toLowerCase());
    if (real && typeof o[real] === 'string') return o[real] as string;
  }
  return undefined;
}

function proposalOf(item: unknown): Proposal | undefined {
  if (Array.isArray(item) && item.length >= 2 && typeof item[0] === 'string' && typeof item[1] === 'string') {
    return { text: item[0], label: item[1] };
  }
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const o = item as Record<string, unknown>;
    const text = pick(o, TEXT_KEYS);
    const label = pick(o, LABEL_KEYS);
    if (text !== undefined && label !== undefined) return { text, label };
  }
  if (typeof item === 'string') return parsePlainList(item)[0];
  return undefined;
}

/** `skipped` counts array items that are not entities in any shape we read, so they are reported, not lost quietly. */
function proposalsFromJson(value: unknown, skipped = { count: 0 }): Proposal[] | undefined {
  if (Array.isArray(value)) {
    const proposals = value.map(proposalOf).filter((p): p is Proposal => p !== undefined);
    skipped.count += value.length - proposals.length;
    return proposals;
  }
  if (!value || typeof value !== 'object') return undefined;
  const o = value as Record<string, unknown>;
  const single = proposalOf(o);
  if (single) return [single];
  for (const key of ['entities', 'named_entities', 'namedEntities', 'result', 'results', 'items']) {
    if (Array.isArray(o[key])) return proposalsFromJson(o[key], skipped);
  }
  const arrays = Object.entries(o).filter(([, v]) => Array.isArray(v)) as Array<[string, unknown[]]>;
  // {"PER": ["A"], "LOC": ["B"]}: the keys are the labels.
  if (arrays.length && arrays.every(([, v]) => v.every((x) => typeof x === 'string'))) {
    return arrays.flatMap(([label, names]) => (names as string[]).map((text) => ({ text, label })));
  }
  const first = arrays[0];
  return first ? proposalsFromJson(first[1], skipped) : undefined;
}

/** "1. Chicago (LOC)", "- Chicago: LOC", "Chicago - LOC", PGIM's run-together "1. X (person)2. Y (city)". */
export function parsePlainList(text: string, isLabel: (label: string) => boolean = () => true): Proposal[] {
  const out: Proposal[] = [];
  for (const m of text.matchAll(/(?:^|\s|[:：])\d+[.)、]\s*([^()（）\n]+?)\s*[(（]([^()（）\n]+)[)）]/g)) {
    if (isLabel(m[2]!)) out.push({ text: m[1]!.trim(), label: m[2]!.trim() });
  }
  if (out.length) return out;
  for (const line of text.split(/\r?\n/)) {
    const body = line.replace(/^\s*(?:[-*•]|\d+[.)、])\s*/, '').trim();
    const m = /^(.+?)\s*[(（]([^()（）]+)[)）]\s*$/.exec(body) ?? /^(.+?)\s*(?:[:：|\t]|\s[-–—]\s)\s*(\S[^:：|\t]*)$/.exec(body);
    if (m && isLabel(m[2]!.trim())) out.push({ text: m[1]!.trim().replace(/^["'“”]|["'“”]$/g, ''), label: m[2]!.trim() });
  }
  return out;
}

export function parseEntityAnswer(
  content: string,
  finishReason: string | null | undefined,
  isLabel: (label: string) => boolean,
): ParsedAnswer {
  const notes: ParsedAnswer['notes'] = [];
  const truncated = finishReason === 'length';
  const { text: visible, unclosed } = stripThinking(content);
  if (unclosed)
    notes.push({ code: 'llm.unclosed_think', message: 'answer has a <think> block that never closes; text after it was ignored' });
  const { body: text, before } = unfence(visible);
  const start = text.search(/[{[]/);
  if (start >= 0) {
    const end = balancedEnd(text, start);
    if (end > 0) {
      const preamble = (before + text.slice(0, start)).trim();
      if (preamble && !/^json\s*:?$/i.test(preamble)) {
        notes.push({ code: 'llm.preamble', message: 'answer had text before the JSON; it was ignored' });
      }
      try {
        const skipped = { count: 0 };
        const proposals = proposalsFromJson(JSON.parse(text.slice(start, end)), skipped);
        if (proposals) {
          if (skipped.count)
            notes.push({
              code: 'llm.unreadable_items',
              message: `${skipped.count} item(s) of the JSON answer were not entities and were ignored`,
            });
          return { proposals, notes };
        }
      } catch {
        /* fall through to salvage */
      }
    }
    const salvaged = leafValues(text.slice(start))
      .map(proposalOf)
      .filter((p): p is Proposal => p !== undefined);
    if (truncated) {
      notes.push({ code: 'llm.truncated', message: `answer was cut at max_tokens; kept ${salvaged.length} complete entities` });
    } else {
      notes.push({ code: 'llm.malformed_json', message: `answer was not valid JSON; kept ${salvaged.length} complete entities from it` });
    }
    return { proposals: salvaged, notes };
  }
  const listed = parsePlainList(text, isLabel);
  if (truncated) notes.push({ code: 'llm.truncated', message: `answer was cut at max_tokens; kept ${listed.length} listed entities` });
  if (text.trim() && listed.length === 0 && !/^\s*(none|no entities|无|没有)\b/i.test(text)) {
    notes.push({ code: 'llm.unparsed_answer', message: 'answer held neither JSON nor an entity list' });
  } else if (listed.length) {
    notes.push({ code: 'llm.plain_text_answer', message: 'answer was a plain list, not JSON' });
  }
  return { proposals: listed, notes };
}
