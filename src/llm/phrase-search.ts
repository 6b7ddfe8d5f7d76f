// Finds every occurrence of many phrases in a text in one pass (Aho-Corasick): time linear in the
// text, the phrases and the matches, instead of one indexOf scan of the whole text per phrase.
// No npm package in this project does multi-pattern search over UTF-16 strings with overlapping
// matches; the automaton is small enough to keep here.
//
// Nodes live in flat arrays and edges in one Map keyed by node * 2^16 + code unit, so 100,000
// phrases cost a few arrays and a map, not a Map object per trie node.

const UNIT = 0x10000;

export class PhraseSearch {
  private readonly edges = new Map<number, number>();
  private readonly fail: number[] = [0];
  /** Phrase ending at the node, or -1. */
  private readonly phraseAt: number[] = [-1];
  /** Nearest node on the fail chain (excluding this one) where a phrase ends, or 0. */
  private readonly outputLink: number[] = [0];
  private readonly depth: number[] = [0];
  private readonly firstChild: number[] = [-1];
  private readonly nextSibling: number[] = [-1];
  /** The code unit on the edge into the node. */
  private readonly unitIn: number[] = [0];

  /** Phrases must be distinct and non-empty; a phrase's id is its index. */
  constructor(readonly phrases: readonly string[]) {
    phrases.forEach((p, id) => this.insert(p, id));
    this.link();
  }

  private insert(phrase: string, id: number): void {
    let node = 0;
    for (let i = 0; i < phrase.length; i++) {
      const key = node * UNIT + phrase.charCodeAt(i);
      let next = this.edges.get(key);
      if (next === undefined) {
        next = this.fail.length;
        this.edges.set(key, next);
        this.fail.push(0);
        this.phraseAt.push(-1);
        this.outputLink.push(0);
        this.depth.push(this.depth[node]! + 1);
        this.firstChild.push(-1);
        this.nextSibling.push(this.firstChild[node]!);
        this.unitIn.push(phrase.charCodeAt(i));
        this.firstChild[node] = next;
      }
      node = next;
    }
    this.phraseAt[node] = id;
  }

  private step(node: number, unit: number): number {
    for (let n = node; ; n = this.fail[n]!) {
      const next = this.edges.get(n * UNIT + unit);
      if (next !== undefined) return next;
      if (n === 0) return 0;
    }
  }

  /** Breadth-first, so every node's fail target is finished before its children need it. */
  private link(): void {
    const queue: number[] = [];
    for (let c = this.firstChild[0]!; c >= 0; c = this.nextSibling[c]!) queue.push(c);
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      const target = this.fail[node]!;
      this.outputLink[node] = this.phraseAt[target]! >= 0 ? target : this.outputLink[target]!;
      for (let c = this.firstChild[node]!; c >= 0; c = this.nextSibling[c]!) {
        // A first-level node fails to the root; deeper ones follow their parent's fail chain.
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
