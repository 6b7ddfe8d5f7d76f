// Which backends exist: the built-in ones register through the same Plugin interface a
// third-party package uses, then the plugins named in config.plugins, then extra ones
// (tests, embedding applications).
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { EkmmConfig } from '../config/schema.ts';
import { createRegistries, type Plugin, type Registries } from '../core/registry.ts';
import registerStores from '../store/register.ts';
import registerStats from '../stats/register.ts';
import registerIntake from '../intake/register.ts';
import registerOcr from '../ocr/register.ts';
import registerLlm from '../llm/register.ts';
import registerLocal from '../recognizers/local/register.ts';
import registerGazetteer from '../recognizers/gazetteer.ts';
import registerRecorded from '../recorded/register.ts';

export const builtinPlugins: readonly Plugin[] = [
  registerStores,
  registerStats,
  registerIntake,
  registerOcr,
  registerLlm,
  registerLocal,
  registerGazetteer,
  registerRecorded,
];

/** Fresh registries with the built-in backends, config.plugins and `extra` registered, in that order. */
export async function loadPlugins(config: EkmmConfig, extra: readonly Plugin[] = []): Promise<Registries> {
  const registries = createRegistries();
  for (const plugin of builtinPlugins) await plugin(registries);
  for (const spec of config.plugins) {
    const target = spec.startsWith('.') || spec.startsWith('/') ? pathToFileURL(resolve(spec)).href : spec;
    const mod = (await import(target)) as { default?: unknown };
    if (typeof mod.default !== 'function') {
      throw new Error(`plugin "${spec}" has no default export function (expected (registries) => void)`);
    }
    await (mod.default as Plugin)(registries);
  }
  for (const plugin of extra) await plugin(registries);
  return registries;
}
