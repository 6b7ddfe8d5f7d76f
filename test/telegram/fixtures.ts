// Fixtures shared by the chat adapter tests: a drawn poster and a config with the real intake
// and OCR but a gazetteer recognizer, so expected entities are exact.
import { drawTextLines } from '../support/draw.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';

export const GAZETTEER = { PER: ['Barack Obama', 'Angela Merkel'], LOC: ['Paris', 'Berlin'], ORG: ['Google', 'Yahoo!', 'C++ Users Group'] };

export const drawPoster = (lines: string[], size = 56): Promise<Buffer> => drawTextLines(lines, size, 'jpeg');

export function chatTestConfig(overrides: Record<string, unknown> = {}): EkmmConfig {
  return loadConfig({
    env: {},
    overrides: {
      language: 'en',
      cache: { url: 'memory://' },
      stats: { url: 'memory://' },
      recognizer: { backends: ['gazetteer'], fallback: 'none', gazetteer: { entries: GAZETTEER } },
      ...overrides,
    },
  });
}
