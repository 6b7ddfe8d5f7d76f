// The versioned prompt of the `llm` recognizer. Any change to the wording or the schema must bump
// TEMPLATE_VERSION: it is part of every cache key, so old answers are not served for the new prompt.
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { RecognizerInput } from '../core/stages.ts';

export const TEMPLATE_VERSION = 'ner-v1';

export function entitySchema(entityTypes: string[]): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['entities'],
    properties: {
      entities: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['text', 'type'],
          properties: {
            text: { type: 'string', description: 'the entity exactly as written in the input' },
            type: { type: 'string', enum: entityTypes },
          },
        },
      },
    },
  };
}

function describeTypes(entityTypes: string[]): string {
  const meaning: Record<string, string> = {
    PER: 'people, including user handles and fictional characters',
    LOC: 'places: countries, cities, regions, venues, landmarks',
    ORG: 'organizations: companies, teams, institutions, bands, parties',
    OTHER: 'other named things: events, products, works, hashtag names, nationalities',
  };
  return entityTypes.map((t) => `- ${t}: ${meaning[t] ?? 'named entities of this type'}`).join('\n');
}

export function buildRecognizerMessages(input: RecognizerInput, entityTypes: string[]): ChatCompletionMessageParam[] {
  const system =
    'You are a named entity recognizer for chat messages that may come with images. ' +
    'Find the named entities in the message text, in the text read from the images (OCR) and in the image descriptions. ' +
    `Entity types:\n${describeTypes(entityTypes)}\n` +
    'Copy each entity exactly as it is written in the input (same spelling, case and language; do not translate or expand). ' +
    'List an entity once even if it occurs several times. ' +
    'Answer with JSON only, no explanation: {"entities": [{"text": "...", "type": "..."}]}. ' +
    'If there are none, answer {"entities": []}.';
  const parts = [`Message text:\n${input.text || '(empty)'}`];
  if (input.ocr.length)
    parts.push(`Text read from the images (OCR), one line each:\n${input.ocr.map((l, i) => `${i + 1}. ${l.text}`).join('\n')}`);
  if (input.captions.length) parts.push(`Image descriptions:\n${input.captions.map((c, i) => `${i + 1}. ${c.text}`).join('\n')}`);
  if (input.knowledge)
    parts.push(`Background notes (may be wrong; only list entities that occur in the inputs above):\n${input.knowledge}`);
  parts.push(`Language: ${input.language === 'zh' ? 'Chinese' : 'English'}. Entity types allowed: ${entityTypes.join(', ')}.`);
  return [
    { role: 'system', content: system },
    { role: 'user', content: parts.join('\n\n') },
  ];
}
