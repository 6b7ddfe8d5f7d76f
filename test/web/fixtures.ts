// Fixtures shared by the web and CLI tests: a clear, large drawn text image and a test config
// whose recognizer is a gazetteer (deterministic) while intake and OCR are the real ones.
import { drawTextLines } from '../support/draw.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';

export const GAZETTEER = { PER: ['Barack Obama'], LOC: ['Paris'], ORG: ['Google'] };

export const drawTextImage = (lines: string[], size = 56): Promise<Buffer> => drawTextLines(lines, size, 'png');

export function testConfig(overrides: Record<string, unknown> = {}): EkmmConfig {
  return loadConfig({
    overrides: {
      cache: { url: 'memory://' },
      stats: { url: 'memory://' },
      recognizer: { backends: ['gazetteer'], fallback: 'none', gazetteer: { entries: GAZETTEER } },
      ...overrides,
    },
  });
}
