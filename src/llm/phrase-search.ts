// Finds every occurrence of many phrases in a text in one pass (Aho-Corasick): time linear in the
// text, the phrases and the matches, instead of one indexOf scan of the whole text per phrase.
// No npm package in this project does multi-pattern search over UTF-16 strings with overlapping
// matches; the automaton is small enough to keep here.
//
// Nodes live in flat arrays. Most trie nodes of real names have one child, kept in two arrays;
// only branching nodes get a Map. (One Map keyed by node * 2^16 + unit was 3x slower to build:
// its keys leave the small-integer range.)

export class PhraseSearch {
  private readonly fail: number[] = [0];
  /** Phrase ending at the node, or -1. */
  private readonly phraseAt: number[] = [-1];
  /** Nearest node on the fail chain (excluding this one) where a phrase ends, or 0. */
  private readonly outputLink: number[] = [0];
  private readonly depth: number[] = [0];
  /** The code unit on the edge into the node. */
  private readonly unitIn: number[] = [0];
  /** The only child of a node with one child, else -1 (see `branches`). */
  private readonly soleChild: number[] = [-1];
  /** Children by code unit, for nodes with more than one. */
  private readonly branches: (Map<number, number> | undefined)[] = [undefined];

  /** Phrases must be distinct and non-empty; a phrase's id is its index. */
  constructor(readonly phrases: readonly string[]) {
    phrases.forEach((p, id) => this.insert(p, id));
    this.link();
  }

  private child(node: number, unit: number): number {
    const sole = this.soleChild[node]!;
    if (sole >= 0) return this.unitIn[sole] === unit ? sole : -1;
    return this.branches[node]?.get(unit) ?? -1;
  }

  private addChild(node: number, unit: number): number {
    const next = this.fail.length;
    this.fail.push(0);
    this.phraseAt.push(-1);
    this.outputLink.push(0);
    this.depth.push(this.depth[node]! + 1);
    this.unitIn.push(unit);
    this.soleChild.push(-1);
    this.branches.push(undefined);
    const sole = this.soleChild[node]!;
    const map = this.branches[node];
    if (map) map.set(unit, next);
    else if (sole >= 0) {
      this.branches[node] = new Map([
        [this.unitIn[sole]!, sole],
        [unit, next],
      ]);
      this.soleChild[node] = -1;
    } else this.soleChild[node] = next;
    return next;
  }

  private children(node: number): Iterable<number> {
    const sole = this.soleChild[node]!;
    if (sole >= 0) return [sole];
    return this.branches[node]?.values() ?? [];
  }

  private insert(phrase: string, id: number): void {
    let node = 0;
    for (let i = 0; i < phrase.length; i++) {
      const unit = phrase.charCodeAt(i);
      const next = this.child(node, unit);
      node = next >= 0 ? next : this.addChild(node, unit);
    }
    this.phraseAt[node] = id;
  }

  private step(node: number, unit: number): number {
    for (let n = node; ; n = this.fail[n]!) {
      const next = this.child(n, unit);
      if (next >= 0) return next;
      if (n === 0) return 0;
    }
  }

  /** Breadth-first, so every node's fail target is finished before its children need it. */
  private link(): void {
    const queue: number[] = [...this.children(0)];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      const target = this.fail[node]!;
      this.outputLink[node] = this.phraseAt[target]! >= 0 ? target : this.outputLink[target]!;
      for (const c of this.children(node)) {
        // Children of the root fail to the root (their fail stays 0); deeper ones follow their parent's chain.
        this.fail[c] = this.step(target, this.unitIn[c]!);
        queue.push(c);
      }
    }
  }

  /** Start offsets of every occurrence (overlapping ones included), by phrase id, ascending. */
  findAll(text: string): Map<number, number[]> {
    const found = new Map<number, number[]>();
    const report = (node: number, end: number) => {
      const id = this.phraseAt[node]!;
      const start = end - this.depth[node]!;
      const list = found.get(id);
      if (list) list.push(start);
      else found.set(id, [start]);
    };
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      node = this.step(node, text.charCodeAt(i));
      if (this.phraseAt[node]! >= 0) report(node, i + 1);
      for (let out = this.outputLink[node]!; out > 0; out = this.outputLink[out]!) report(out, i + 1);
    }
    return found;
  }
}
