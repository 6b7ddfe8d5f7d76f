// Recognizer backend `vlm`: a vision-language chat model (any OpenAI-compatible endpoint: vLLM,
// LMDeploy, Ollama, OpenAI) sees the message's images as data URLs beside the text and names the
// entities itself. Request negotiation, parsing, alignment and caching are the `llm` recognizer's.
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { RecognizerInput, Store } from '../core/stages.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { DAY_MS } from '../cache/cached.ts';
import { LlmRecognizer, type LlmRecognizerDeps, type RecognizerPrompt } from './recognizer.ts';
import { buildRecognizerMessages } from './recognizer-prompt.ts';

export const VLM_TEMPLATE_VERSION = 'vlm-ner-v1';

export function buildVlmMessages(input: RecognizerInput, entityTypes: string[], maxImages: number): ChatCompletionMessageParam[] {
  const [system, user] = buildRecognizerMessages(input, entityTypes);
  const images = (input.images ?? []).slice(0, maxImages);
  const note = images.length
    ? `\n\nThe message comes with ${images.length} image(s), shown below. Name the entities the message text refers to; ` +
      'an entity that only appears in an image counts only if it is written in the image.'
    : '\n\nThe message has no image.';
  const parts: ChatCompletionContentPart[] = [
    { type: 'text', text: `${String(user!.content)}${note}` },
    ...images.map(
      (img): ChatCompletionContentPart => ({
        type: 'image_url',
        image_url: { url: `data:image/png;base64,${img.png.toString('base64')}` },
      }),
    ),
  ];
  return [system!, { role: 'user', content: parts }];
}

export function createVlmRecognizer(config: EkmmConfig, cache?: Store, deps: LlmRecognizerDeps = {}): LlmRecognizer {
  const vlm = config.recognizer.vlm;
  if (!vlm)
    throw new Error('recognizer backend "vlm" needs a recognizer.vlm section with at least baseURL and model (a vision chat model)');
  const prompt: RecognizerPrompt = {
    name: 'vlm',
    templateVersion: `${VLM_TEMPLATE_VERSION}:${vlm.maxImages}`,
    messages: (input, types) => buildVlmMessages(input, types, vlm.maxImages),
  };
  return new LlmRecognizer(
    vlm,
    config.entityTypes,
    config.typeAliases,
    { cache, cacheTtlMs: config.cache.ttlDays * DAY_MS, ...deps },
    prompt,
  );
}
