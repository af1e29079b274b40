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
  /** Minimum time between plain lines when not a TTY. @default 2000 */
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

/** Create a reporter; see ProgressOptions for TTY vs plain-line behaviour. */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const unit = options.unit ?? 'items';
  const now = options.now ?? (() => performance.now());
  const interval = tty ? (options.ttyIntervalMs ?? 100) : (options.lineIntervalMs ?? 2000);
  const start = now();
  let total = options.total;
  let done = 0;
  let note = '';
  let lastDraw = -Infinity;
  let finished = false;

  const render = (): string => {
    const elapsed = (now() - start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const count = total !== undefined && total > 0 ? `${done}/${total}` : `${done}`;
    const pct = total !== undefined && total > 0 ? ` ${bar(done / total)} ${((100 * done) / total).toFixed(0).padStart(3)}%` : '';
    const extra = note ? ` ${note}` : '';
    return `${options.label}${pct} ${count} ${unit} ${formatRate(rate)}/s ${elapsed.toFixed(1)}s${extra}`;
  };
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    if (tty) {
      const width = Math.max(20, (stream.columns ?? 100) - 1);
      stream.write(`\r\x1b[2K${render().slice(0, width)}`);
    } else {
      stream.write(`${render()}\n`);
    }
  };

  return {
    get done() {
      return done;
    },
    update(value, fields) {
      if (finished) return;
      done = value;
      if (fields?.total !== undefined) total = fields.total;
      if (fields?.note !== undefined) note = fields.note;
      draw(false);
    },
    tick(n = 1, text) {
      if (finished) return;
      done += n;
      if (text !== undefined) note = text;
      draw(false);
    },
    finish(message) {
      if (finished) return;
      finished = true;
      if (message !== undefined) note = message;
      if (tty) {
        draw(true);
        stream.write('\n');
      } else {
        draw(true);
      }
    },
  };
}
