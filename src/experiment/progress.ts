// A progress bar on stderr, drawn only on a terminal (a log file gets one line per arm instead).
export class Progress {
  private done = 0;
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    /** Posts already done (resumed from the cache). */
    private readonly resumed = 0,
  ) {
    this.tty = stream.isTTY === true;
    this.done = resumed;
    this.draw(true);
  }

  tick(): void {
    this.done++;
    this.draw(this.done === this.total);
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 30;
    const share = this.total ? this.done / this.total : 1;
    const filled = Math.round(share * width);
    const rate = (this.done - this.resumed) / Math.max((now - this.started) / 1000, 1e-3);
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total} ${rate.toFixed(1)} posts/s`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  finish(): void {
    const seconds = (performance.now() - this.started) / 1000;
    const fresh = this.done - this.resumed;
    const note = `${this.label}: ${this.total} posts (${this.resumed} from the cache, ${fresh} run) in ${seconds.toFixed(1)} s`;
    this.stream.write(this.tty ? `\r${note}\x1b[K\n` : `${note}\n`);
  }
}
