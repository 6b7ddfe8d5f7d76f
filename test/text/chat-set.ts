// The chat-style test set (test/fixtures/chat/chat-test.txt, written for the tests: hashtags,
// Discord mentions, custom emoji, URLs, emoji, elongations, ALL CAPS, a few Han names; gold in the
// Twitter CoNLL format) run through the real engine. Each message's text is its tokens joined by
// single spaces; an entity tags every token its raw span overlaps (one entity per token).
// Used by bench/chat-eval.ts and test/text/chat-eval.test.ts.
import { readFileSync } from 'node:fs';
import { loadConfig, projectPath } from '../../src/config/load.ts';
import { createEngine } from '../../src/app/engine.ts';
import { mapTagTypes, readDataset, type Dataset, type Post } from '../../src/data/index.ts';
import type { MessageHints } from '../../src/core/types.ts';

export const CHAT_GOLD = 'test/fixtures/chat/chat-test.txt';
export const CHAT_HINTS = 'test/fixtures/chat/chat-hints.json';

export async function readChatSet(goldPath = CHAT_GOLD): Promise<{ gold: Dataset; hints: Record<string, MessageHints> }> {
  const read = await readDataset(projectPath(goldPath));
  // The Twitter files spell OTHER as MISC; the engine answers in the configured types.
  const gold = { ...read, posts: read.posts.map((p) => ({ ...p, tags: mapTagTypes(p.tags) })) };
  const hints = goldPath === CHAT_GOLD ? (JSON.parse(readFileSync(projectPath(CHAT_HINTS), 'utf8')) as Record<string, MessageHints>) : {};
  return { gold, hints };
}

/** Predicted posts (same ids and tokens as gold) with `recognizer.local` set to `local`; any CoNLL file works (no hints then). */
export async function predictChatSet(local: Record<string, unknown>, withHints: boolean, goldPath = CHAT_GOLD): Promise<Post[]> {
  const { gold, hints } = await readChatSet(goldPath);
  const config = loadConfig({
    env: {},
    overrides: { ocr: { backend: 'none' }, cache: { enabled: false }, recognizer: { backends: ['local'], fallback: 'none', local } },
  });
  const engine = await createEngine(config);
  try {
    const posts: Post[] = [];
    for (const post of gold.posts) {
      const starts: number[] = [];
      let text = '';
      for (const t of post.tokens) {
        if (text) text += ' ';
        starts.push(text.length);
        text += t;
      }
      const h = withHints ? hints[post.id] : undefined;
      const r = await engine.recognize({ text, ...(h ? { hints: h } : {}) });
      const tags = post.tokens.map(() => 'O');
      for (const e of r.entities.filter((x) => x.source === 'text')) {
        const covered = post.tokens.map((_, i) => i).filter((i) => starts[i]! < e.end && e.start < starts[i]! + post.tokens[i]!.length);
        if (covered.some((i) => tags[i] !== 'O')) continue;
        covered.forEach((i, k) => (tags[i] = `${k === 0 ? 'B' : 'I'}-${e.type}`));
      }
      posts.push({ ...post, tags });
    }
    return posts;
  } finally {
    await engine.close();
  }
}

/** The old path (no normalisation, no mixed-script runs, no hints) and the new defaults with hints. */
export const BEFORE = { local: { markup: false, mixedScript: 'none' }, hints: false } as const;
export const AFTER = { local: {}, hints: true } as const;
