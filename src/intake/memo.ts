// A bounded, in-process memo of prepared images by content hash: a repeated image (the same
// meme or screenshot posted again) skips decode, orientation, resize and PNG encode.
export interface MemoEntry {
  png: Buffer;
  width: number;
  height: number;
  format: string;
}

/** Least-recently-used eviction, bounded by the total size of the PNGs held. */
export class PreparedImageMemo {
  // A Map iterates in insertion order: re-inserting on use keeps the oldest entry first.
  private readonly entries = new Map<string, MemoEntry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(sha256: string): MemoEntry | undefined {
    const entry = this.entries.get(sha256);
    if (!entry) return undefined;
    this.entries.delete(sha256);
    this.entries.set(sha256, entry);
    return entry;
  }

  set(sha256: string, entry: MemoEntry): void {
    // An image larger than the whole budget would only evict everything else.
    if (entry.png.byteLength > this.maxBytes) return;
    const old = this.entries.get(sha256);
    if (old) {
      this.entries.delete(sha256);
      this.bytes -= old.png.byteLength;
    }
    this.entries.set(sha256, entry);
    this.bytes += entry.png.byteLength;
    for (const [key, victim] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= victim.png.byteLength;
    }
  }
}
