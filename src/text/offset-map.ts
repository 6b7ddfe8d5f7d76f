// A rewritten text (what a tagger reads) together with, for every UTF-16 unit of it, the span
// of the original text it came from. Any span of the rewritten text maps back to a span of the
// original, so an entity found in the rewrite is reported as `original.slice(start, end)`.

export interface RawSpan {
  start: number;
  end: number;
}

/** The rewrite and its map; built with OffsetMapBuilder. */
export class MappedText {
  constructor(
    /** The text as the tagger sees it. */
    readonly view: string,
    /** The text it was made from. */
    readonly raw: string,
    private readonly rawStart: Int32Array,
    private readonly rawEnd: Int32Array,
    /** Per view unit: 1 where a reader should see the view's spelling (a resolved mention, a split hashtag). */
    private readonly displayed: Uint8Array,
    /** View ranges [start, end) that are one unit: a span may hold all of one or none of it (a hashtag's words). */
    private readonly wholes: ReadonlyArray<readonly [number, number]> = [],
  ) {}

  /** True when [start, end) takes part of a whole (some of a hashtag's words but not all). */
  cutsWhole(start: number, end: number): boolean {
    return this.wholes.some(([s, e]) => start < e && s < end && (start > s || end < e));
  }

  /**
   * The original span behind view units [start, end): from the first unit's origin to the last
   * unit's. A unit inside a replacement (a resolved mention) stands for the whole replaced span.
   */
  toRaw(start: number, end: number): RawSpan {
    if (!(start >= 0 && end <= this.view.length && start < end)) {
      throw new RangeError(`view span [${start}, ${end}) is outside the rewritten text (length ${this.view.length})`);
    }
    return { start: this.rawStart[start]!, end: this.rawEnd[end - 1]! };
  }

  /** True when the view's spelling of [start, end) is the one to show (see `displayed`). */
  showsView(start: number, end: number): boolean {
    return this.displayed.subarray(start, end).some((x) => x === 1);
  }

  /** The identity map: the view is the raw text. */
  static identity(text: string): MappedText {
    const b = new OffsetMapBuilder(text);
    b.copy(0, text);
    return b.build();
  }
}

export class OffsetMapBuilder {
  private view = '';
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly shown: number[] = [];
  private readonly wholes: Array<[number, number]> = [];

  constructor(private readonly raw: string) {}

  /** Appends `text`, which is raw[at, at + text.length) possibly with each code point re-cased (same lengths). */
  copy(at: number, text: string, displayed = false): void {
    let i = 0;
    for (const ch of text) {
      // A surrogate pair's two units both stand for the whole pair, so no span can split it.
      for (let k = 0; k < ch.length; k++) this.push(ch[k]!, at + i, at + i + ch.length, displayed);
      i += ch.length;
    }
  }

  /** Appends `text` standing for the whole of raw[start, end) (a resolved mention). */
  replace(start: number, end: number, text: string, displayed = true): void {
    for (let k = 0; k < text.length; k++) this.push(text[k]!, start, end, displayed);
  }

  /**
   * Appends `text` (an elongated run squeezed: "ooooo" -> "oo") for raw[start, end): unit k
   * stands for raw unit start + k, and the last one also for the rest of the run.
   */
  squeeze(start: number, end: number, text: string): void {
    let o = 0;
    for (const ch of text) {
      const last = o + ch.length === text.length;
      for (let k = 0; k < ch.length; k++) this.push(ch[k]!, start + o, last ? end : start + o + ch.length, false);
      o += ch.length;
    }
  }

  /** Appends a separator that stands for no original text, at raw position `at`. */
  insert(at: number, text: string): void {
    for (let k = 0; k < text.length; k++) this.push(text[k]!, at, at, false);
  }

  /** Where the next appended unit will go in the view. */
  get length(): number {
    return this.view.length;
  }

  /** Marks view units [start, end) as one whole (see MappedText.cutsWhole). */
  whole(start: number, end: number): void {
    if (start < end) this.wholes.push([start, end]);
  }

  private push(unit: string, start: number, end: number, displayed: boolean): void {
    this.view += unit;
    this.starts.push(start);
    this.ends.push(end);
    this.shown.push(displayed ? 1 : 0);
  }

  build(): MappedText {
    return new MappedText(
      this.view,
      this.raw,
      Int32Array.from(this.starts),
      Int32Array.from(this.ends),
      Uint8Array.from(this.shown),
      this.wholes,
    );
  }
}
