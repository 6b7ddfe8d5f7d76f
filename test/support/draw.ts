// Test images with known text: black DejaVu Sans on white, large enough for OCR to read reliably.
import sharp from 'sharp';

export async function drawTextLines(lines: string[], size = 56, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const pitch = Math.round(size * 1.7);
  const width = Math.max(...lines.map((l) => Math.ceil(l.length * size * 0.62))) + 80;
  const height = pitch * lines.length + Math.round(size * 0.8);
  const texts = lines
    .map((t, i) => `<text x="40" y="${pitch * (i + 1)}" font-family="DejaVu Sans" font-size="${size}" fill="#111">${t.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  const image = sharp(Buffer.from(svg));
  return (format === 'jpeg' ? image.jpeg({ quality: 92 }) : image.png()).toBuffer();
}
