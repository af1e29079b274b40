// A small stderr progress reporter: one redrawn bar on a TTY, plain throttled lines otherwise (CI logs stay readable).

/** Where progress goes; process.stderr fits, as does any writable with `write(string)`. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options for createProgress. */
export interface ProgressOptions {
  /** Text shown before the bar, e.g. the dataset id. */
  label: string;
  /** Expected number of units; unknown totals show a count and a rate only. */
  total?: number;
  /** Unit name shown after counts. @default 'items' */
  unit?: string;
  /** @default process.stderr */
  stream?: ProgressStream;
  /** Force TTY (redrawn) or plain-line mode. @default stream.isTTY */
  tty?: boolean;
  /** Minimum time between redraws on a TTY. @default 100 */
  ttyIntervalMs?: number;
  /** Minimum time between plain lines when not a TTY (the first comes after one interval). @default 2000 */
  lineIntervalMs?: number;
  /** Clock, for tests. @default performance.now */
  now?: () => number;
}

/** A live progress display. All methods are cheap enough to call per item. */
export interface Progress {
  /** Set the absolute count (and optionally a new total and a short note such as "skipped 3"). */
  update(done: number, fields?: { total?: number; note?: string }): void;
  /** Add `n` to the count. */
  tick(n?: number, note?: string): void;
  /** Final line; the reporter ignores further updates. */
  finish(message?: string): void;
  /** Units counted so far. */
  readonly done: number;
}

const BAR_WIDTH = 24;

/** Human-readable rate: 1234.5 → "1.23k". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(2)}k`;
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1);
}

function bar(fraction: number): string {
  const full = Math.max(0, Math.min(BAR_WIDTH, Math.round(fraction * BAR_WIDTH)));
  return `[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}]`;
}

/** The reporter behind createProgress: decisions (TTY or not, interval) are made once, in the constructor. */
class ProgressReporter implements Progress {
  readonly #o: ProgressOptions;
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #unit: string;
  readonly #now: () => number;
  readonly #interval: number;
  readonly #start: number;
  #total: number | undefined;
  #done = 0;
  #note = '';
  #lastDraw = -Infinity;
  #finished = false;

  constructor(o: ProgressOptions) {
    this.#o = o;
    this.#stream = o.stream ?? process.stderr;
    this.#tty = o.tty ?? Boolean(this.#stream.isTTY);
    this.#unit = o.unit ?? 'items';
    this.#now = o.now ?? (() => performance.now());
    this.#interval = this.#tty ? (o.ttyIntervalMs ?? 100) : (o.lineIntervalMs ?? 2000);
    this.#start = this.#now();
    this.#total = o.total;
    // Off a TTY the first line waits one interval, so a task that ends quickly prints just its final line.
    if (!this.#tty) this.#lastDraw = this.#start;
  }

  get done(): number {
    return this.#done;
  }

  update(value: number, fields?: { total?: number; note?: string }): void {
    if (this.#finished) return;
    this.#done = value;
    if (fields?.total !== undefined) this.#total = fields.total;
    if (fields?.note !== undefined) this.#note = fields.note;
    this.#draw(false);
  }

  tick(n = 1, note?: string): void {
    if (this.#finished) return;
    this.#done += n;
    if (note !== undefined) this.#note = note;
    this.#draw(false);
  }

  finish(message?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    if (message !== undefined) this.#note = message;
    this.#draw(true);
    if (this.#tty) this.#stream.write('\n');
  }

  #render(): string {
    const elapsed = (this.#now() - this.#start) / 1000;
    const rate = elapsed > 0 ? this.#done / elapsed : 0;
    const known = this.#total !== undefined && this.#total > 0;
    const count = known ? `${this.#done}/${this.#total}` : `${this.#done}`;
    const pct = known
      ? ` ${bar(this.#done / this.#total!)} ${((100 * this.#done) / this.#total!).toFixed(0).padStart(3)}%`
      : '';
    const extra = this.#note ? ` ${this.#note}` : '';
    return `${this.#o.label}${pct} ${count} ${this.#unit} ${formatRate(rate)}/s ${elapsed.toFixed(1)}s${extra}`;
  }

  #draw(force: boolean): void {
    const t = this.#now();
    if (!force && t - this.#lastDraw < this.#interval) return;
    this.#lastDraw = t;
    if (this.#tty) {
      const width = Math.max(20, (this.#stream.columns ?? 100) - 1);
      this.#stream.write(`\r\x1b[2K${this.#render().slice(0, width)}`);
    } else {
      this.#stream.write(`${this.#render()}\n`);
    }
  }
}

/** Create a reporter; see ProgressOptions for TTY vs plain-line behaviour. */
export function createProgress(options: ProgressOptions): Progress {
  return new ProgressReporter(options);
}
