// Backends register by name, built-in ones exactly as a third-party plugin would.
import type { Captioner, ImageIntake, KnowledgeSource, Ocr, Recognizer, Store } from './stages.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { ConfigError } from '../config/load.ts';
import type { StatsOpener } from './stats-backend.ts';

/** What a backend factory gets besides its own config section. */
export interface BackendContext {
  config: EkmmConfig;
  /** Cache store shared by backends (content-hash keyed); undefined when caching is off. */
  cache?: Store;
  /** Resolves other stages lazily, e.g. a recognizer wrapping another. */
  registries: Registries;
}

export type StoreOpener = (url: URL) => Promise<Store>;

export type Factory<T> = (ctx: BackendContext) => T | Promise<T>;

export class Registry<T> {
  private readonly factories = new Map<string, Factory<T>>();
  constructor(readonly stage: string) {}

  register(name: string, factory: Factory<T>): void {
    if (this.factories.has(name)) {
      throw new Error(`${this.stage} backend "${name}" is already registered`);
    }
    this.factories.set(name, factory);
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  async create(name: string, ctx: BackendContext): Promise<T> {
    const factory = this.factories.get(name);
    if (!factory) {
      // A ConfigError: a backend name that nothing registered is a configuration mistake (CLI exit 2).
      throw new ConfigError(
        `unknown ${this.stage} backend "${name}"; registered: ${this.names().join(', ') || '(none)'}. ` +
          `Load a plugin that registers it, or pick one of those.`,
      );
    }
    return factory(ctx);
  }
}

export interface Registries {
  intake: Registry<ImageIntake>;
  ocr: Registry<Ocr>;
  captioner: Registry<Captioner>;
  recognizer: Registry<Recognizer>;
  knowledge: Registry<KnowledgeSource>;
  /** Keyed by URL scheme (sqlite, redis, memory); the opener gets the full URL. */
  store: Registry<StoreOpener>;
  /** Statistics backends, keyed by URL scheme like `store` (see src/stats/register.ts). */
  stats: Registry<StatsOpener>;
}

export function createRegistries(): Registries {
  return {
    intake: new Registry<ImageIntake>('intake'),
    ocr: new Registry<Ocr>('ocr'),
    captioner: new Registry<Captioner>('captioner'),
    recognizer: new Registry<Recognizer>('recognizer'),
    knowledge: new Registry<KnowledgeSource>('knowledge'),
    store: new Registry<StoreOpener>('store'),
    stats: new Registry<StatsOpener>('stats'),
  };
}

/** A plugin module's default export. */
export type Plugin = (registries: Registries) => void | Promise<void>;
