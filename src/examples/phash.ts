// Perceptual hash of an image (the classic DCT pHash): 32x32 grey, 2-D DCT, the 8x8 lowest
// frequencies against the median of the 63 AC terms, 64 bits as 16 hex digits. Near-identical
// images (re-encoded, resized, lightly edited) are a few bits apart; unrelated ones about 32.
import sharp from 'sharp';

const N = 32;
const COS: Float64Array[] = Array.from({ length: 8 }, (_, u) =>
  Float64Array.from({ length: N }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N))),
);

export async function perceptualHash(image: Buffer | string): Promise<string> {
  const px = await sharp(image).rotate().greyscale().resize(N, N, { fit: 'fill' }).raw().toBuffer();
  const coeffs: number[] = [];
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < N; y++) {
        let row = 0;
        for (let x = 0; x < N; x++) row += px[y * N + x]! * COS[v]![x]!;
        s += row * COS[u]![y]!;
      }
      coeffs.push(s);
    }
  }
  const ac = coeffs.slice(1);
  const median = [...ac].sort((a, b) => a - b)[Math.floor(ac.length / 2)]!;
  let hex = '';
  for (let i = 0; i < 64; i += 4) {
    let nibble = 0;
    for (let j = 0; j < 4; j++) nibble = (nibble << 1) | (coeffs[i + j]! > median ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

/** 1 - Hamming distance / 64 between two hashes. */
export function hashSimilarity(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < 16; i++) {
    let x = parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16);
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return 1 - d / 64;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
