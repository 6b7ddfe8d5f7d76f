// Plane geometry for text boxes: convex hull, minimum-area rectangle, corner ordering.

export type Point = [number, number];
export type Quad = [Point, Point, Point, Point];

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Andrew's monotone chain; returns the hull counter-clockwise (in y-down coordinates: clockwise on screen). */
export function convexHull(points: Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length <= 2) return pts;
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

export interface RotatedRect {
  center: Point;
  /** Unit vector along the rectangle's first side. */
  axis: Point;
  /** Length along axis, and along its normal. */
  length: number;
  breadth: number;
}

/** Rotating calipers over the hull edges: the minimum-area enclosing rectangle. */
export function minAreaRect(hull: Point[]): RotatedRect {
  if (hull.length === 1) return { center: hull[0]!, axis: [1, 0], length: 0, breadth: 0 };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Infinity,
      maxU = -Infinity,
      minV = Infinity,
      maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { center: [cu * ux - cv * uy, cu * uy + cv * ux], axis: [ux, uy], length: maxU - minU, breadth: maxV - minV };
    }
  }
  return best ?? { center: hull[0]!, axis: [1, 0], length: 0, breadth: 0 };
}

/** Corners of a rotated rectangle ordered top-left, top-right, bottom-right, bottom-left. */
export function rectCorners(r: RotatedRect): Quad {
  // Make the axis the more horizontal side so "width" runs along text lines.
  let [ux, uy] = r.axis;
  let halfW = r.length / 2;
  let halfH = r.breadth / 2;
  if (Math.abs(uy) > Math.abs(ux)) {
    [ux, uy] = [uy, -ux];
    [halfW, halfH] = [halfH, halfW];
  }
  if (ux < 0) [ux, uy] = [-ux, -uy];
  const nx = -uy;
  const ny = ux; // normal pointing down the screen
  const [cx, cy] = r.center;
  return [
    [cx - ux * halfW - nx * halfH, cy - uy * halfW - ny * halfH],
    [cx + ux * halfW - nx * halfH, cy + uy * halfW - ny * halfH],
    [cx + ux * halfW + nx * halfH, cy + uy * halfW + ny * halfH],
    [cx - ux * halfW + nx * halfH, cy - uy * halfW + ny * halfH],
  ];
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
