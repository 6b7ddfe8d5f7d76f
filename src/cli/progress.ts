// Progress lines for long CLI runs, on stderr and only when stderr is a terminal: a script that
// pipes or captures stderr sees the same output as before, a person at a terminal sees that the
// run is moving. One line, rewritten in place (\r + erase line), at most a few times a second.

export interface Progress {
  /** `done` of `total` units finished (total as given to createProgress, if any). */
  update(done: number): void;
  /** Erases the progress line; call once when the run ends (also on failure). */
  end(): void;
}

export interface ProgressOptions {
  /** What is counted, e.g. "posts"; without total and updates only the elapsed time shows. */
  unit?: string;
  total?: number;
  stream?: NodeJS.WriteStream;
  /** Redraw at most this often (ms). */
  intervalMs?: number;
  /** Also redraw on a timer, showing elapsed seconds, for steps that report no counts. */
  tick?: boolean;
}

const SILENT: Progress = { update() {}, end() {} };

export function createProgress(label: string, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY) return SILENT;
  const started = Date.now();
  const interval = options.intervalMs ?? 200;
  let done = 0;
  let drawnAt = 0;
  let drawn = false;
  const draw = () => {
    drawnAt = Date.now();
    drawn = true;
    const seconds = ((drawnAt - started) / 1000).toFixed(0);
    const counted = options.total !== undefined || done > 0;
    const count = options.total === undefined ? `${done} ${options.unit}` : `${done}/${options.total} ${options.unit}`;
    const share = options.total ? ` (${Math.floor((100 * done) / options.total)}%)` : '';
    stream.write(`\r\x1b[2K${label}${counted ? `: ${count}${share}` : ''}, ${seconds} s elapsed`);
  };
  const timer = options.tick ? setInterval(draw, 1000) : undefined;
  timer?.unref();
  draw();
  return {
    update(n: number) {
      done = n;
      if (Date.now() - drawnAt >= interval || n === options.total) draw();
    },
    end() {
      if (timer) clearInterval(timer);
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
