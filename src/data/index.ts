// Public surface of the dataset layer.
export * from './types.ts';
export * from './bio.ts';
export * from './chunks.ts';
export { detectFormat, findSplits, formatDataset, parseDataset, readDataset, writeDataset } from './dataset.ts';
export type { ReadOptions, SplitName } from './dataset.ts';
export { parseLineFormat, formatLineFormat, splitLines } from './lines.ts';
export { parseJsonl, formatJsonl } from './jsonl.ts';
export { parseCaptions, readCaptions } from './captions.ts';
export { indexImagesByWid, listPostImages } from './images.ts';
export {
  attachKnowledge,
  attachKnowledgeItems,
  parseKnowledge,
  parseKnowledgeEntities,
  readKnowledge,
} from './knowledge.ts';
export type { KnowledgeAttachment, KnowledgeEntity, KnowledgeItem, KnowledgeProblem } from './knowledge.ts';
export { datasetStats } from './stats.ts';
export type { SplitStats } from './stats.ts';
