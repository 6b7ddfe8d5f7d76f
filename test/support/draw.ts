// Test images with known text: black DejaVu Sans on white, large enough for OCR to read reliably.
import sharp from 'sharp';

export async function drawTextLines(lines: string[], size = 56, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const pitch = Math.round(size * 1.7);
  const width = Math.max(...lines.map((l) => Math.ceil(l.length * size * 0.62))) + 80;
  const height = pitch * lines.length + Math.round(size * 0.8);
  const texts = lines
    .map(
      (t, i) =>
        `<text x="40" y="${pitch * (i + 1)}" font-family="DejaVu Sans" font-size="${size}" fill="#111">${t.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  const image = sharp(Buffer.from(svg));
  return (format === 'jpeg' ? image.jpeg({ quality: 92 }) : image.png()).toBuffer();
}

export interface PosterBlock {
  lines: string[];
  /** Font size in px (default 56). */
  size?: number;
  /** 'start' (left-aligned, default) or 'middle' (centred). */
  anchor?: 'start' | 'middle';
}

/**
 * A poster: text blocks one under another, lines of a block at 1.5 x font size, a blank of 2
 * font sizes between blocks. Latin text in DejaVu Sans, Han text in WenQuanYi Micro Hei
 * (fonts-wqy-microhei), as the OCR tests read them.
 */
export async function drawPoster(blocks: PosterBlock[]): Promise<Buffer> {
  const width =
    Math.max(
      ...blocks.flatMap((b) => b.lines.map((l) => Math.ceil([...l].length * (b.size ?? 56) * (/\p{Script=Han}/u.test(l) ? 1.05 : 0.62)))),
    ) + 80;
  let y = 0;
  const texts: string[] = [];
  for (const b of blocks) {
    const size = b.size ?? 56;
    y += Math.round(size * 0.5);
    for (const line of b.lines) {
      y += Math.round(size * 1.5);
      const font = /\p{Script=Han}/u.test(line) ? 'WenQuanYi Micro Hei' : 'DejaVu Sans';
      const x = b.anchor === 'middle' ? width / 2 : 40;
      texts.push(
        `<text x="${x}" y="${y - Math.round(size * 0.4)}" text-anchor="${b.anchor ?? 'start'}" font-family="${font}" font-size="${size}" fill="#111">${line.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`,
      );
    }
    y += Math.round(size * 1.5);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}"><rect width="100%" height="100%" fill="#fff"/>${texts.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
