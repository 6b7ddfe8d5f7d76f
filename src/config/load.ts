// Configuration is read once at start: config/default.yaml, then an optional user file, then
// EKMM__SECTION__KEY environment overrides. The result is validated against the schema and an
// unknown or mistyped key stops start-up with a message naming the key and where it came from.
import { readFileSync, existsSync } from 'node:fs';
import { basename, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, LineCounter, parse as parseYaml, parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type EkmmConfig } from './schema.ts';

const SOURCE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The checkout: src/config/ is two levels down, or three from the compiled dist/src/config/. */
export const PROJECT_ROOT =
  import.meta.url.endsWith('.js') && basename(SOURCE_ROOT) === 'dist' && existsSync(resolve(SOURCE_ROOT, '..', 'package.json'))
    ? dirname(SOURCE_ROOT)
    : SOURCE_ROOT;
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

/** One layer of configuration and a way to say where a value in it came from. */
interface Layer {
  tree: Tree;
  /** "config/x.yaml line 3, column 5" or "environment variable EKMM__A__B=raw"; undefined if the layer lacks the path. */
  locate(path: readonly PropertyKey[]): string | undefined;
}

function valueAt(tree: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let node: unknown = tree;
  for (const key of path) {
    if (!isTree(node) && !Array.isArray(node)) return { found: false, value: undefined };
    const next = (node as Record<string, unknown>)[String(key)];
    if (next === undefined && !(String(key) in (node as object))) return { found: false, value: undefined };
    node = next;
  }
  return { found: true, value: node };
}

/**
 * Where a YAML syntax error really is. For a line indented deeper than the key above it, the yaml
 * library points at the value on the line above ("Nested mappings are not allowed in compact
 * mappings" at line 2), but the line to fix is the deeper one, so point there.
 */
function yamlErrorPosition(err: YAMLError, text: string, counter: LineCounter): { line: number; col: number; hint: string } {
  const at = counter.linePos(err.pos[0]);
  if (err.code === 'BLOCK_AS_IMPLICIT_KEY' || err.code === 'MULTILINE_IMPLICIT_KEY') {
    const lines = text.split(/\r?\n/);
    const above = lines[at.line - 1] ?? '';
    for (let i = at.line; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.trim() === '' || l.trimStart().startsWith('#')) continue;
      const col = l.length - l.trimStart().length + 1;
      const keyCol = above.length - above.trimStart().length + 1;
      return {
        line: i + 1,
        col,
        hint: `this line is indented deeper (column ${col}) than "${above.trim()}" on line ${at.line} (column ${keyCol}), which already has a value; indent it to column ${keyCol} if it is a sibling key`,
      };
    }
  }
  return { line: at.line, col: at.col, hint: err.message.split('\n')[0] ?? err.message };
}

function readYaml(path: string, label = path): Layer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file ${label} could not be read: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const { line, col, hint } = yamlErrorPosition(first, text, counter);
    const source = text.split(/\r?\n/)[line - 1] ?? '';
    throw new ConfigError(
      `config file ${label}, line ${line}, column ${col}: ${hint}\n    ${source}\n    ${' '.repeat(Math.max(0, col - 1))}^`,
    );
  }
  const tree: unknown = doc.toJS();
  if (tree == null) return { tree: {}, locate: () => undefined };
  if (!isTree(tree)) throw new ConfigError(`config file ${label} must hold a mapping at the top level (key: value lines)`);
  return {
    tree,
    locate(keyPath) {
      if (!valueAt(tree, keyPath).found) return undefined;
      // The key's own position (where the user typed it), else the value's.
      const parent = keyPath.length > 1 ? doc.getIn(keyPath.slice(0, -1).map(String), true) : doc.contents;
      const last = String(keyPath[keyPath.length - 1]);
      let range: readonly number[] | null | undefined;
      if (isMap(parent)) {
        const key = parent.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === last)?.key;
        if (isScalar(key)) range = key.range;
      }
      range ??= (doc.getIn(keyPath.map(String), true) as { range?: number[] } | undefined)?.range;
      if (!range || range[0] === undefined) return `config file ${label}`;
      const at = counter.linePos(range[0]);
      return `config file ${label} line ${at.line}, column ${at.col}`;
    },
  };
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

function envOverrides(env: NodeJS.ProcessEnv): Layer {
  const out: Tree = {};
  const origins = new Map<string, string>();
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
        try {
          cursor[key] = parseYaml(raw);
        } catch (err) {
          throw new ConfigError(`environment variable ${name}=${raw}: not a YAML value: ${(err as Error).message.split('\n')[0]}`);
        }
        origins.set(path.join('.'), `environment variable ${name}=${raw}`);
      } else {
        const next = isTree(cursor[key]) ? (cursor[key] as Tree) : {};
        cursor[key] = next;
        cursor = next;
      }
    });
  }
  return {
    tree: out,
    locate(keyPath) {
      // The variable that set this path or the section above it (EKMM__INTAKE__URLHOSTS for intake.urlHosts.0).
      for (let n = keyPath.length; n > 0; n--) {
        const origin = origins.get(keyPath.slice(0, n).map(String).join('.'));
        if (origin) return origin;
      }
      return undefined;
    },
  };
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** The last layer that set `path` (the one whose value is in force), described. */
function originOf(layers: readonly Layer[], path: readonly PropertyKey[]): string | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const where = layers[i]!.locate(path);
    if (where) return where;
  }
  return undefined;
}

function describeIssues(error: z.ZodError, sources: string[], layers: readonly Layer[], tree: Tree): string {
  const from = sources.join(', ');
  const lines = error.issues.map((issue) => {
    const at = issue.path.join('.') || '(top level)';
    const origin = originOf(layers, issue.path);
    if (issue.code === 'unrecognized_keys') {
      let shape: Record<string, z.ZodType> | undefined = objectShape(configSchema);
      for (const p of issue.path) shape = shape?.[String(p)] ? objectShape(shape[String(p)]!) : undefined;
      const valid = shape ? Object.keys(shape) : [];
      return issue.keys
        .map((k) => {
          const full = [...issue.path, k].join('.');
          const best = valid.map((v) => [v, editDistance(k.toLowerCase(), v.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
          const hint = best && best[1] <= 3 ? ` Did you mean "${[...issue.path, best[0]].join('.')}"?` : '';
          const where = originOf(layers, [...issue.path, k]);
          return `unknown key "${full}"${where ? ` (${where})` : ''}.${hint} Valid keys here: ${valid.join(', ')}. Remove or rename it.`;
        })
        .join('\n');
    }
    const { found, value } = valueAt(tree, issue.path);
    const got = found ? `; got ${JSON.stringify(value) ?? String(value)}` : '';
    return `"${at}": ${issue.message.replace(/^Invalid input: /, '')}${got}${origin ? ` (${origin})` : ''}`;
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
  const layers: Layer[] = [];
  let tree: Tree = {};
  const add = (source: string, layer: Layer) => {
    tree = merge(tree, layer.tree);
    layers.push(layer);
    sources.push(source);
  };
  const defaultFile = resolve(PROJECT_ROOT, 'config/default.yaml');
  if (!options.skipDefaultFile && existsSync(defaultFile)) add('config/default.yaml', readYaml(defaultFile, 'config/default.yaml'));
  const userFile = options.file ?? env.EKMM_CONFIG;
  if (userFile) {
    const label = options.file ? userFile : `${userFile} (EKMM_CONFIG)`;
    add(userFile, readYaml(resolve(userFile), label));
  }
  const fromEnv = envOverrides(env);
  if (Object.keys(fromEnv.tree).length) add('EKMM__* environment', fromEnv);
  if (options.overrides) {
    const over = options.overrides;
    add('overrides', { tree: over, locate: (p) => (valueAt(over, p).found ? 'overrides' : undefined) });
  }
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, sources.length ? sources : ['schema defaults'], layers, tree));
  return parsed.data;
}

/** Resolves a path from config relative to the project root (models, config, assets shipped with the package). */
export function projectPath(p: string): string {
  return resolve(PROJECT_ROOT, p);
}

/**
 * Where state lives (caches, statistics, settings): EKMM_HOME when set, else the working
 * directory; never the package directory, which is read-only or node_modules/ekmm when the
 * project is installed as a dependency.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.EKMM_HOME || process.cwd());
}

/** Resolves a relative state path (sqlite://var/cache.sqlite) against stateDir(). */
export function statePath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(stateDir(env), p);
}
