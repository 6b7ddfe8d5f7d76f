// Plugin: OpenAI-compatible backends (llm and vlm recognizers, llm knowledge) and the captioners.
// Backend `none` for knowledge is not registered: the engine treats it as "no knowledge source".
import type { Plugin } from '../core/registry.ts';
import { NoCaptioner } from '../captioners/none.ts';
import { OpenAiCaptioner } from '../captioners/openai.ts';
import { RecordedCaptioner } from '../captioners/recorded.ts';
import { projectPath } from '../config/load.ts';
import { createLlmRecognizer } from './recognizer.ts';
import { createLlmKnowledge } from './knowledge.ts';
import { createVlmRecognizer } from './vlm.ts';

const registerLlm: Plugin = (r) => {
  r.captioner.register('none', () => new NoCaptioner());
  r.captioner.register('openai', ({ config }) => {
    const c = config.captioner.openai;
    if (!c) throw new Error('captioner backend "openai" needs a captioner.openai section with at least baseURL and model');
    return new OpenAiCaptioner(c);
  });
  r.captioner.register('recorded', ({ config }) => {
    const c = config.captioner.recorded;
    if (!c) throw new Error('captioner backend "recorded" needs captioner.recorded.file');
    return new RecordedCaptioner(projectPath(c.file));
  });
  r.recognizer.register('llm', ({ config, cache }) => createLlmRecognizer(config, cache));
  r.recognizer.register('vlm', ({ config, cache }) => createVlmRecognizer(config, cache));
  r.knowledge.register('llm', ({ config, cache }) => createLlmKnowledge(config, cache));
};

export default registerLlm;
