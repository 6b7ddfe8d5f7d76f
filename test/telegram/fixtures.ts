// Fixtures shared by the chat adapter tests: a drawn poster and a config with the real intake
// and OCR but a gazetteer recognizer, so expected entities are exact.
import sharp from 'sharp';
import { loadConfig } from '../../src/config/load.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';

export const GAZETTEER = { PER: ['Barack Obama', 'Angela Merkel'], LOC: ['Paris', 'Berlin'], ORG: ['Google', 'Yahoo!', 'C++ Users Group'] };

/** Black text on white in DejaVu Sans, large enough for OCR to read reliably. */
export async function drawPoster(lines: string[], size = 56): Promise<Buffer> {
  const pitch = Math.round(size * 1.7);
  const width = Math.max(...lines.map((l) => Math.ceil(l.length * size * 0.62))) + 80;
  const height = pitch * lines.length + Math.round(size * 0.8);
  const texts = lines
    .map((t, i) => `<text x="40" y="${pitch * (i + 1)}" font-family="DejaVu Sans" font-size="${size}" fill="#111">${t.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
}

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
