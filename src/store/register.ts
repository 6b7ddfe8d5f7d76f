// Registers the built-in store openers by URL scheme.
import type { Plugin } from '../core/registry.ts';
import { BUILTIN_STORE_OPENERS } from './open.ts';

const registerStores: Plugin = (r) => {
  for (const [scheme, opener] of Object.entries(BUILTIN_STORE_OPENERS)) {
    if (!r.store.has(scheme)) r.store.register(scheme, () => opener);
  }
};

export default registerStores;
