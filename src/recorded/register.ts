// Plugin: the `recorded` recognizer and knowledge source (answers replayed from files, no model).
import type { Plugin } from '../core/registry.ts';
import { projectPath } from '../config/load.ts';
import { Recording } from './recording.ts';
import { RecordedRecognizer } from './recognizer.ts';
import { RecordedKnowledge } from './knowledge.ts';

function source(section: { file: string; posts?: string | undefined }) {
  return { file: projectPath(section.file), ...(section.posts ? { posts: projectPath(section.posts) } : {}) };
}

const registerRecorded: Plugin = (r) => {
  r.recognizer.register('recorded', async ({ config }) => {
    const c = config.recognizer.recorded;
    if (!c)
      throw new Error('recognizer backend "recorded" needs recognizer.recorded.file (JSONL {"id", "entities"} or a PGIM knowledge file)');
    return new RecordedRecognizer(await Recording.load(source(c)), config.entityTypes, config.typeAliases);
  });
  r.knowledge.register('recorded', async ({ config }) => {
    const c = config.knowledge.recorded;
    if (!c) throw new Error('knowledge backend "recorded" needs knowledge.recorded.file (a PGIM knowledge file or JSONL {"id", "text"})');
    return new RecordedKnowledge(await Recording.load(source(c)));
  });
};

export default registerRecorded;
