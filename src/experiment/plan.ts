// An experiment plan (YAML): a dataset split, the arms (each a config overlay of the real engine)
// and the baseline they are compared with. Strings in the plan may use ${data} (the --data
// directory), ${dataset} (the dataset's name), ${split}, ${split_file} (the split's file) and
// ${env:NAME} (an environment variable, '' when unset).
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const tree = z.record(z.string(), z.unknown());

const condition = z
  .object({
    /** The arm runs only when this environment variable is set and not empty. */
    env: z.string().optional(),
    /** The arm runs only when this file exists (after ${...} substitution). */
    file: z.string().optional(),
  })
  .strict();

const arm = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'arm names are used as file names: letters, digits, . _ -'),
    description: z.string().optional(),
    /** Config overlay for this arm, layered over the plan's `config`. */
    config: tree.default({}),
    /** The arm is skipped (and the report says why) unless every condition holds. */
    when: condition.optional(),
  })
  .strict();

export const planSchema = z
  .object({
    name: z.string().default('experiment'),
    description: z.string().optional(),
    split: z.enum(['train', 'valid', 'test']),
    /** Sub-directories of --data, each a dataset with split files; omitted: --data itself is the dataset. */
    datasets: z.array(z.string().min(1)).optional(),
    /** Images of the posts, `<id>.jpg|png|...` in this directory (after substitution); none when unset or missing. */
    images: z.string().optional(),
    baseline: z.string(),
    /** Config overlay for every arm. */
    config: tree.default({}),
    arms: z.array(arm).min(1),
    bootstrap: z
      .object({ samples: z.number().int().min(0).default(1000), seed: z.number().int().default(12345) })
      .strict()
      .prefault({}),
    /** Posts in flight at once (LLM arms wait on the network). */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Extra pairs for the error analysis besides every arm against the baseline. */
    compare: z.array(z.object({ arm: z.string(), against: z.string() }).strict()).default([]),
    /** Examples per type and direction in the error analysis. */
    errorExamples: z.number().int().min(0).max(50).default(3),
  })
  .strict()
  .superRefine((plan, ctx) => {
    const names = plan.arms.map((a) => a.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['arms'], message: `arm "${dup}" is named twice` });
    if (!names.includes(plan.baseline))
      ctx.addIssue({
        code: 'custom',
        path: ['baseline'],
        message: `baseline "${plan.baseline}" is none of the arms (${names.join(', ')})`,
      });
    plan.compare.forEach((c, i) => {
      for (const n of [c.arm, c.against])
        if (!names.includes(n)) ctx.addIssue({ code: 'custom', path: ['compare', i], message: `"${n}" is none of the arms` });
    });
    const base = plan.arms.find((a) => a.name === plan.baseline);
    if (base?.when) ctx.addIssue({ code: 'custom', path: ['baseline'], message: 'the baseline arm cannot be conditional (when:)' });
  });

export type Plan = z.infer<typeof planSchema>;
export type Arm = Plan['arms'][number];

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

export function parsePlan(text: string, file: string): Plan {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new PlanError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = planSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `"${i.path.join('.') || '(top level)'}": ${i.message}`);
    throw new PlanError(`${file}: invalid plan:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}

export function loadPlan(file: string): Plan {
  return parsePlan(readFileSync(file, 'utf8'), file);
}

export type Vars = Record<string, string>;

/** ${name} and ${env:NAME} in every string of a value; an unknown ${name} is an error naming it. */
export function substitute<T>(value: T, vars: Vars, env: NodeJS.ProcessEnv, where: string): T {
  const one = (s: string): string =>
    s.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name.startsWith('env:')) return env[name.slice(4)] ?? '';
      const v = vars[name];
      if (v === undefined)
        throw new PlanError(
          `${where}: unknown \${${name}}; known: ${Object.keys(vars)
            .map((k) => `\${${k}}`)
            .join(', ')}, \${env:NAME}`,
        );
      return v;
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return one(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Why an arm is skipped, or null when it runs. */
export function skipReason(arm: Arm, vars: Vars, env: NodeJS.ProcessEnv): string | null {
  if (!arm.when) return null;
  // A path built from an unset variable names no file: say which variable is missing.
  for (const m of (arm.when.file ?? '').matchAll(/\$\{env:([^}]+)\}/g)) {
    if (!env[m[1]!]) return `environment variable ${m[1]} is not set (no recording given)`;
  }
  const when = substitute(arm.when, vars, env, `arm ${arm.name}`);
  if (when.env !== undefined && !env[when.env]) return `environment variable ${when.env} is not set`;
  if (when.file !== undefined && (when.file === '' || !existsSync(when.file))) {
    return when.file === '' ? 'no recording given (its path is empty)' : `recording ${when.file} does not exist`;
  }
  return null;
}
