// Draws known text into images (sharp + SVG <text>) so OCR tests can check what it reads.
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';

export interface TextBlock {
  text: string;
  x: number;
  /** Baseline y. */
  y: number;
  size: number;
  font?: string;
  fill?: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export async function renderText(width: number, height: number, blocks: TextBlock[], background = '#ffffff'): Promise<Buffer> {
  const texts = blocks
    .map(
      (b) =>
        `<text x="${b.x}" y="${b.y}" font-family="${b.font ?? 'DejaVu Sans'}" font-size="${b.size}" fill="${b.fill ?? '#111111'}" xml:space="preserve">${escapeXml(b.text)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${background}"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Lines stacked top to bottom with even spacing. */
export async function renderLines(
  width: number,
  lines: string[],
  opts: { size?: number; font?: string; fill?: string; background?: string; x?: number } = {},
): Promise<Buffer> {
  const size = opts.size ?? 32;
  const pitch = Math.round(size * 1.8);
  const height = pitch * lines.length + size;
  const blocks = lines.map((text, i) => ({ text, x: opts.x ?? 30, y: pitch * (i + 1), size, font: opts.font, fill: opts.fill }));
  return renderText(width, height, blocks, opts.background);
}

/**
 * A phone-photo-like copy: lower contrast, a brightness gradient, pixel noise (seeded, so the
 * result is the same every run), slight blur, downscaled to 900 px, JPEG quality 35.
 */
export async function degrade(png: Buffer, seed = 7): Promise<Buffer> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let state = seed;
  const random = (): number => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < data.length; k++) {
    const y = Math.floor(k / 3 / info.width);
    data[k] = Math.max(0, Math.min(255, data[k]! * 0.85 + (20 * y) / info.height + (random() - 0.5) * 60));
  }
  const jpeg = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .blur(0.7)
    .resize({ width: 900 })
    .jpeg({ quality: 35 })
    .toBuffer();
  return sharp(jpeg).png().toBuffer();
}

/** Fails with the fix spelled out when a font the test draws with is not installed. */
export function requireFont(family: string): void {
  let listed = '';
  try {
    listed = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
  } catch {
    throw new Error('fc-list not found: fontconfig is needed to draw test images');
  }
  if (!listed.includes(family)) throw new Error(`font "${family}" is not installed; run scripts/install-system-deps.sh`);
}
