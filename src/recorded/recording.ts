// Answers recorded earlier, looked up by post id: JSONL `{"id", "entities": [{"text", "type"}]}`
// (an entity list, e.g. written by `record:` on a live llm/vlm recognizer), JSONL `{"id", "text"}`
// (knowledge text), or a PGIM knowledge file. PGIM items carry no ids: with `posts` (the split
// they were written for) they are paired by order with a token check, as `ekmm tag` does;
// without it they are keyed by their tokens joined by spaces (the text the engine sees).
import { readFile } from 'node:fs/promises';
import { attachKnowledgeItems, parseKnowledge, readDataset } from '../data/index.ts';
import { DataFormatError } from '../data/types.ts';
import type { Proposal } from '../llm/parse.ts';

export interface RecordedAnswer {
  /** The entity list as the model gave it (label not yet mapped), when the recording has one. */
  entities?: Proposal[];
  /** The model's text (knowledge, or an answer still to be parsed), when the recording has one. */
  text?: string | null;
}

export interface RecordingSource {
  file: string;
  posts?: string | undefined;
}

export class Recording {
  /** Items that could not be attached to a post (PGIM files with `posts`); their posts count as missing. */
  readonly problems: string[] = [];
  private readonly byId = new Map<string, RecordedAnswer>();
  private readonly byText = new Map<string, RecordedAnswer | 'ambiguous'>();

  private constructor(readonly file: string) {}

  get size(): number {
    return this.byId.size + this.byText.size;
  }

  static async load(source: RecordingSource): Promise<Recording> {
    const text = await readFile(source.file, 'utf8');
    const rec = new Recording(source.file);
    const first = text.trimStart()[0];
    if (first === '{') rec.readJsonl(text);
    else if (/^<EOS>\t/m.test(text)) await rec.readPgim(text, source.posts);
    else
      throw new Error(
        `${source.file}: neither JSONL ({"id", "entities"} / {"id", "text"} per line) nor a PGIM knowledge file (<EOS> lines)`,
      );
    return rec;
  }

  /** The answer for a post: by id, else (recordings keyed by tokens) by its whitespace-normalized text. */
  lookup(input: { id?: string | undefined; text: string }): RecordedAnswer | undefined {
    if (input.id !== undefined) {
      const hit = this.byId.get(input.id);
      if (hit) return hit;
    }
    const byText = this.byText.get(normalize(input.text));
    return byText === 'ambiguous' ? undefined : byText;
  }

  private readJsonl(text: string): void {
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      const where = `${this.file}:${i + 1}`;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (err) {
        throw new Error(`${where}: not JSON: ${(err as Error).message}`);
      }
      const o = row as Record<string, unknown>;
      const id = typeof o?.id === 'number' ? String(o.id) : o?.id;
      if (typeof id !== 'string' || id === '') throw new Error(`${where}: "id" must be a non-empty string or a number`);
      if (this.byId.has(id)) throw new Error(`${where}: id "${id}" is recorded twice`);
      const answer: RecordedAnswer = {};
      if (Array.isArray(o.entities)) {
        answer.entities = o.entities.map((e, j) => {
          const ent = e as Record<string, unknown>;
          if (typeof ent?.text !== 'string' || typeof ent?.type !== 'string')
            throw new Error(`${where}: entities[${j}] needs string "text" and "type"`);
          return { text: ent.text, label: ent.type };
        });
      } else if (o.entities !== undefined) {
        throw new Error(`${where}: "entities" must be an array`);
      }
      if (typeof o.text === 'string' || o.text === null) answer.text = o.text;
      if (!answer.entities && answer.text === undefined)
        throw new Error(`${where}: expected "entities" (array) or "text" (string or null)`);
      this.byId.set(id, answer);
    });
  }

  private async readPgim(text: string, postsFile: string | undefined): Promise<void> {
    const { items, issues } = parseKnowledge(text, this.file);
    if (issues.length) throw new DataFormatError(issues);
    if (postsFile) {
      const posts = (await readDataset(postsFile)).posts;
      const attached = attachKnowledgeItems(posts, items);
      for (const p of attached.problems) this.problems.push(`${p.id ? `post ${p.id}` : `item ${p.index}`}: ${p.reason}`);
      attached.items.forEach((item, i) => {
        if (item) this.byId.set(posts[i]!.id, { text: item.text });
      });
      return;
    }
    for (const item of items) {
      const key = normalize(item.tokens.join(' '));
      const seen = this.byText.get(key);
      // The same tokens recorded twice with different answers: which post is which cannot be told.
      if (seen && (seen === 'ambiguous' || seen.text !== item.text)) this.byText.set(key, 'ambiguous');
      else this.byText.set(key, { text: item.text });
    }
  }
}

function normalize(text: string): string {
  return text.trim().split(/\s+/).join(' ');
}
