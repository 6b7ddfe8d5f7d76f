// Runs one arm: the real engine, built from the arm's config, over every post of the split.
// Each finished post is appended to <out>/cache/<arm>.jsonl at once, so an interrupted run
// resumes where it stopped; the file's first line fingerprints the arm's config and the data,
// and a cache made for another config or other data is discarded, never mixed in.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EkmmConfig } from '../config/schema.ts';
import { createEngine, type EngineOptions } from '../app/engine.ts';
import type { Post } from '../data/index.ts';
import { sha256Hex } from '../cache/key.ts';
import { mapLimit } from '../llm/concurrency.ts';
import { emptyUsage, meterUsage } from '../llm/usage.ts';
import { entitiesToTags, postMessage, postText } from './posts.ts';
import { Progress } from './progress.ts';

export interface PostRecord {
  /** 0-based index in the split. */
  i: number;
  id: string;
  tags: string[];
  /** Warning codes of the post's Recognition, each once, sorted. */
  warnings: string[];
  /** Posts whose answer came from no backend the arm asked (a recording lacked it, the LLM failed): scored as they are. */
  noAnswer: boolean;
  /** First message of each no-answer warning, for the report. */
  notes?: string[];
  captions: number;
  overlaps: number;
  ms: number;
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
}

/** Warnings meaning the arm's answering backend gave nothing for the post. */
export const NO_ANSWER_CODES = new Set(['recorded.missing', 'knowledge.failed', 'recognizer.failed', 'recognizer.fallback']);

export interface ArmRun {
  config: EkmmConfig;
  posts: readonly Post[];
  dataFingerprint: string;
  imagesDir?: string | undefined;
  cacheFile: string;
  typeSpelling: ReadonlyMap<string, string>;
  concurrency: number;
  label: string;
  engineOptions?: EngineOptions;
}

function readCache(file: string, fingerprint: string): Map<number, PostRecord> {
  const done = new Map<number, PostRecord>();
  if (!existsSync(file)) return done;
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = (() => {
    try {
      return JSON.parse(lines[0] ?? '') as { fingerprint?: string };
    } catch {
      return {};
    }
  })();
  if (header.fingerprint !== fingerprint) return done;
  lines.slice(1).forEach((line, k) => {
    if (!line.trim()) return;
    try {
      const rec = JSON.parse(line) as PostRecord;
      done.set(rec.i, rec);
    } catch (err) {
      // Only the last line can be cut short (the run was killed while writing it).
      if (k < lines.length - 2 && lines.slice(k + 2).some((l) => l.trim())) throw new Error(`${file}:${k + 2}: ${(err as Error).message}`);
    }
  });
  return done;
}

export function armFingerprint(config: EkmmConfig, dataFingerprint: string, imagesDir: string | undefined): string {
  return sha256Hex(JSON.stringify({ config, dataFingerprint, imagesDir: imagesDir ?? null })).slice(0, 32);
}

export async function runArm(run: ArmRun): Promise<PostRecord[]> {
  const fingerprint = armFingerprint(run.config, run.dataFingerprint, run.imagesDir);
  const done = readCache(run.cacheFile, fingerprint);
  if (done.size === 0) {
    mkdirSync(dirname(run.cacheFile), { recursive: true });
    writeFileSync(run.cacheFile, JSON.stringify({ fingerprint }) + '\n');
  }
  const todo = run.posts.map((p, i) => ({ p, i })).filter(({ i }) => !done.has(i));
  const progress = new Progress(run.label, run.posts.length, process.stderr, run.posts.length - todo.length);
  if (todo.length) {
    const engine = await createEngine(run.config, run.engineOptions ?? {});
    try {
      await mapLimit(todo, run.concurrency, async ({ p, i }) => {
        const pt = postText(p);
        const usage = emptyUsage();
        const t0 = performance.now();
        const recognition = await meterUsage(usage, () => engine.recognize(postMessage(p, pt.text, run.imagesDir)));
        const ms = performance.now() - t0;
        const { tags, overlaps } = entitiesToTags(recognition.entities, pt, run.typeSpelling);
        const noAnswer = recognition.warnings.filter((w) => NO_ANSWER_CODES.has(w.code));
        const rec: PostRecord = {
          i,
          id: p.id,
          tags,
          warnings: [...new Set(recognition.warnings.map((w) => w.code))].sort(),
          noAnswer: noAnswer.length > 0,
          ...(noAnswer.length ? { notes: noAnswer.map((w) => w.message) } : {}),
          captions: recognition.captions.length,
          overlaps,
          ms: Math.round(ms * 1000) / 1000,
          llmCalls: usage.calls,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
        };
        appendFileSync(run.cacheFile, JSON.stringify(rec) + '\n');
        done.set(i, rec);
        progress.tick();
      });
    } finally {
      await engine.close();
    }
  }
  progress.finish();
  return run.posts.map((_, i) => done.get(i)!);
}
