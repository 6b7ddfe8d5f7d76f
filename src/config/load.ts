// Configuration is read once at start: config/default.yaml, then an optional user file, then
// EKMM__SECTION__KEY environment overrides. The result is validated against the schema and an
// unknown or mistyped key stops start-up with a message naming the key and where it came from.
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type EkmmConfig } from './schema.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENV_PREFIX = 'EKMM__';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isTree(b) && isTree(v) ? merge(b, v) : v;
  }
  return out;
}

function readYaml(path: string): Tree {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${path} could not be read: ${(err as Error).message}`);
  }
  if (doc == null) return {};
  if (!isTree(doc)) throw new ConfigError(`config file ${path} must hold a mapping at the top level`);
  return doc;
}

/** Object keys a schema node accepts, looking through default/optional wrappers. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let node: z.ZodType = schema;
  for (let i = 0; i < 8; i++) {
    const def = (node as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } } })._zod.def;
    if (def.type === 'object') return def.shape;
    if (def.innerType) node = def.innerType;
    else return undefined;
  }
  return undefined;
}

function envOverrides(env: NodeJS.ProcessEnv): Tree {
  const out: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const segments = name.slice(ENV_PREFIX.length).split('__');
    let schema: z.ZodType = configSchema;
    let cursor = out;
    const path: string[] = [];
    segments.forEach((segment, i) => {
      const shape = objectShape(schema);
      const key = shape && Object.keys(shape).find((k) => k.toLowerCase() === segment.toLowerCase());
      if (!shape || !key) {
        const where = path.length ? path.join('.') : 'the top level';
        const known = shape ? Object.keys(shape).join(', ') : '(not a section)';
        const best = Object.keys(shape ?? {})
          .map((k) => [k, editDistance(segment.toLowerCase(), k.toLowerCase())] as const)
          .sort((x, y) => x[1] - y[1])[0];
        const hint = best && best[1] <= 3 ? ` Did you mean "${[...path, best[0]].join('.')}"?` : '';
        throw new ConfigError(`environment variable ${name}: "${segment}" is not a key of ${where}.${hint} Known keys: ${known}`);
      }
      path.push(key);
      schema = shape[key]!;
      if (i === segments.length - 1) {
        cursor[key] = parseYaml(raw);
      } else {
        const next = isTree(cursor[key]) ? (cursor[key] as Tree) : {};
        cursor[key] = next;
        cursor = next;
      }
    });
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function describeIssues(error: z.ZodError, sources: string[]): string {
  const from = sources.join(', ');
  const lines = error.issues.map((issue) => {
    const at = issue.path.join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      let shape: Record<string, z.ZodType> | undefined = objectShape(configSchema);
      for (const p of issue.path) shape = shape?.[String(p)] ? objectShape(shape[String(p)]!) : undefined;
      const valid = shape ? Object.keys(shape) : [];
      return issue.keys
        .map((k) => {
          const full = [...issue.path, k].join('.');
          const best = valid.map((v) => [v, editDistance(k.toLowerCase(), v.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
          const hint = best && best[1] <= 3 ? ` Did you mean "${[...issue.path, best[0]].join('.')}"?` : '';
          return `unknown key "${full}".${hint} Valid keys here: ${valid.join(', ')}. Remove or rename it.`;
        })
        .join('\n');
    }
    return `"${at}": ${issue.message}`;
  });
  return `invalid configuration (from ${from}):\n  ${lines.join('\n  ')}`;
}

export interface LoadOptions {
  /** Extra YAML file layered over config/default.yaml (also taken from EKMM_CONFIG). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values layered last, e.g. from tests or CLI flags. */
  overrides?: Tree;
  /** Skip config/default.yaml (tests that want schema defaults only). */
  skipDefaultFile?: boolean;
}

export function loadConfig(options: LoadOptions = {}): EkmmConfig {
  const env = options.env ?? process.env;
  const sources: string[] = [];
  let tree: Tree = {};
  const defaultFile = resolve(PROJECT_ROOT, 'config/default.yaml');
  if (!options.skipDefaultFile && existsSync(defaultFile)) {
    tree = readYaml(defaultFile);
    sources.push('config/default.yaml');
  }
  const userFile = options.file ?? env.EKMM_CONFIG;
  if (userFile) {
    tree = merge(tree, readYaml(resolve(userFile)));
    sources.push(userFile);
  }
  const fromEnv = envOverrides(env);
  if (Object.keys(fromEnv).length) {
    tree = merge(tree, fromEnv);
    sources.push('EKMM__* environment');
  }
  if (options.overrides) {
    tree = merge(tree, options.overrides);
    sources.push('overrides');
  }
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, sources.length ? sources : ['schema defaults']));
  return parsed.data;
}

/** Resolves a path from config relative to the project root. */
export function projectPath(p: string): string {
  return resolve(PROJECT_ROOT, p);
}
