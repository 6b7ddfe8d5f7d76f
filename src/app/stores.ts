// Every store the process opens (cache, statistics, adapter settings) goes through the store
// registry, so a plugin that registers a scheme serves all of them alike.
import type { EkmmConfig } from '../config/schema.ts';
import type { Registries } from '../core/registry.ts';
import type { Store } from '../core/stages.ts';

/** Opens the store at `url` with the opener registered for its scheme; `key` names the config key in errors. */
export async function openRegisteredStore(registries: Registries, config: EkmmConfig, url: string, key: string): Promise<Store> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${key} "${url}" is not a URL; expected sqlite://path, redis://host:port or memory://`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const opener = await registries.store.create(scheme, { config, registries });
  return opener(parsed);
}
