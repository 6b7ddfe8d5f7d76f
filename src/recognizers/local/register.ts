// Registers the "local" recognizer (the committed ONNX BiLSTM-CRF models).
import type { Plugin } from '../../core/registry.ts';
import { projectPath } from '../../config/load.ts';
import { LocalRecognizer } from './recognizer.ts';

export { LocalRecognizer } from './recognizer.ts';
export { Tagger } from './tagger.ts';

const register: Plugin = (registries) => {
  registries.recognizer.register('local', ({ config }) => {
    const local = config.recognizer.local;
    return new LocalRecognizer({
      models: { en: projectPath(local.en), zh: projectPath(local.zh) },
      ...(local.enKnowledge ? { knowledgeModels: { en: projectPath(local.enKnowledge) } } : {}),
      tagOcr: local.tagOcr,
      tagCaptions: local.tagCaptions,
      markup: local.markup,
      ...(local.markupRules ? { markupRules: local.markupRules } : {}),
      blocks: local.blocks,
      mixedScript: local.mixedScript,
      workerThreads: local.workerThreads,
      typeAliases: config.typeAliases,
      entityTypes: config.entityTypes,
    });
  });
};

export default register;
