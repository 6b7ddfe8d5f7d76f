// Fixtures shared by the web and CLI tests: a clear, large drawn text image and a test config
// whose recognizer is a gazetteer (deterministic) while intake and OCR are the real ones.
import sharp from 'sharp';
import { loadConfig } from '../../src/config/load.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';

export const GAZETTEER = { PER: ['Barack Obama'], LOC: ['Paris'], ORG: ['Google'] };

/** Black text on white, 56 px DejaVu Sans: what a screenshot of a chat poster looks like. */
export async function drawTextImage(lines: string[], size = 56): Promise<Buffer> {
  const pitch = Math.round(size * 1.7);
  const width = Math.max(...lines.map((l) => Math.ceil(l.length * size * 0.62))) + 80;
  const height = pitch * lines.length + Math.round(size * 0.8);
  const texts = lines
    .map((t, i) => `<text x="40" y="${pitch * (i + 1)}" font-family="DejaVu Sans" font-size="${size}" fill="#111">${t.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export function testConfig(overrides: Record<string, unknown> = {}): EkmmConfig {
  return loadConfig({
    overrides: {
      cache: { url: 'memory://' },
      recognizer: { backends: ['gazetteer'], fallback: 'none', gazetteer: { entries: GAZETTEER } },
      ...overrides,
    },
  });
}
