// Built-in backends register through the same Plugin interface a third-party package uses.
import type { Plugin } from './registry.ts';

const BUILTIN_MODULES = [
  '../store/register.ts',
  '../intake/register.ts',
  '../ocr/register.ts',
  '../llm/register.ts',
  '../recognizers/local/register.ts',
  '../recognizers/gazetteer.ts',
];

// TEMPORARY during parallel development: modules not written yet are skipped.
const loaded: Plugin[] = [];
for (const spec of BUILTIN_MODULES) {
  try {
    const mod = (await import(spec)) as { default: Plugin };
    loaded.push(mod.default);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
}
export const builtinPlugins: readonly Plugin[] = loaded;
