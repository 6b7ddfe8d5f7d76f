// Small labelled splits written by the fine-tuning and export tests (test/finetune/, and
// test/data/xtuner.test.ts): an English Twitter split (captions, an I- after O, a repeated entity,
// a post without entities) and a Chinese CMNER split (CRLF, MISC). A test may take the first
// posts only (twitterSplit(3)).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

// Post 102 has an I-LOC right after O (invalid BIO) and lists "Obama" twice; 103 has no entity.
const TWITTER_POSTS = [
  ['IMGID:101', 'RT\tO', '@BarackObama\tB-PER', 'visits\tO', 'New\tB-LOC', 'York\tI-LOC', 'City\tI-LOC'],
  ['IMGID:102', 'Obama\tB-PER', 'and\tO', 'Obama\tB-PER', 'in\tO', 'Paris\tI-LOC', 'for\tO', 'COP21\tB-OTHER'],
  ['IMGID:103', 'nothing\tO', 'here\tO'],
  ['IMGID:104', 'Spurs\tB-ORG', 'beat\tO', 'the\tO', 'Lakers\tB-ORG', 'in\tO', 'San\tB-LOC', 'Antonio\tI-LOC'],
];
const TWITTER_CAPTIONS = [
  '101.jpg :a man waving from a car',
  '102.jpg :two men shaking hands',
  '103.jpg :a cat on a sofa',
  '104.jpg :basketball players on a court',
];
// CMNER: CRLF, one character a line, no blank line between posts, a MISC type.
const CMNER_POSTS = [
  ['WID:4455', '我\tO', '在\tO', '北\tB-LOC', '京\tI-LOC', '看\tO', '春\tB-MISC', '晚\tI-MISC'],
  ['WID:4456', '马\tB-PER', '云\tI-PER', '说\tO', '阿\tB-ORG', '里\tI-ORG', '巴\tI-ORG', '巴\tI-ORG', '很\tO', '好\tO'],
  ['WID:4457', '今\tO', '天\tO', '天\tO', '气\tO', '不\tO', '错\tO'],
];

/** The first `count` posts of the Twitter split (a blank line after each post). */
export function twitterSplit(count = TWITTER_POSTS.length): string {
  return TWITTER_POSTS.slice(0, count)
    .map((lines) => `${lines.join('\n')}\n\n`)
    .join('');
}

/** The captions file of the first `count` Twitter posts. */
export function twitterCaptions(count = TWITTER_CAPTIONS.length): string {
  return TWITTER_CAPTIONS.slice(0, count)
    .map((line) => `${line}\n`)
    .join('');
}

/** The first `count` posts of the CMNER split. */
export function cmnerSplit(count = CMNER_POSTS.length): string {
  return CMNER_POSTS.slice(0, count)
    .map((lines) => `${lines.join('\r\n')}\r\n`)
    .join('');
}

export const TWITTER = twitterSplit();
export const CAPTIONS = twitterCaptions();
export const CMNER = cmnerSplit();

/** A fresh folder removed after the test. */
export function tempDir(t: TestContext, files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-finetune-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

export interface Message {
  role: string;
  content: string;
}

export function readJsonl<T>(text: string): T[] {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}
