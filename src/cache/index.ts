export { cacheKey, sha256Hex, type CacheKeyParts } from './key.ts';
export { cached, cachedBatch, DAY_MS } from './cached.ts';
export {
  CachedOcr,
  CachedCaptioner,
  CachedKnowledge,
  withOcrCache,
  withCaptionCache,
  withKnowledgeCache,
  cachesItself,
  type CacheHints,
} from './decorators.ts';
