// Main-thread end of the prefetch thread: starts it, receives batches as an async iterable, returns credits, closes it.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { TunefeedError } from '../errors.js';
import type { MetricsBus } from '../metrics/events.js';
import { workerExecArgv } from '../pool/worker-path.js';
import type { ResumeState } from '../sampling/state.js';
import type { Envelope } from './assemble.js';
import { fromWireError, toWireError, type FromThread, type ThreadInit, type ToThread } from './thread-protocol.js';

const RUNNING_TS = import.meta.url.endsWith('.ts');

/**
 * The thread's module next to this one: .ts under tests/tsx, .js when built (as lib/pool/worker-path.ts does). tsx
 * registers its ESM hooks on the main thread only (Node 20) but its require hook in every thread, so .ts sources
 * start from a small CJS file that require()s the module (an eval'd bootstrap does not get the hook).
 */
function threadEntry(): string {
  return fileURLToPath(new URL(RUNNING_TS ? './prefetch-thread-boot.cjs' : './prefetch-thread.js', import.meta.url));
}

type Captions = ReadonlyMap<string, (key: string, sampleSeed: number) => Promise<string | null>>;
const CLOSE_GRACE_MS = 5000;

/**
 * Envelopes from the prefetch thread. The thread sends a batch only against a credit; `credit()` returns one when
 * the consumer takes a batch, so batches sent but not yet delivered never exceed the initial credits (= prefetch).
 */
export class ThreadSource implements AsyncIterable<Envelope> {
  readonly #worker: Worker;
  readonly #queue: Envelope[] = [];
  #waiter: { resolve: (r: IteratorResult<Envelope>) => void; reject: (e: Error) => void } | null = null;
  #done = false;
  #error: Error | null = null;
  #endError: Error | null = null;
  #ready: { resolve: (s: ResumeState) => void; reject: (e: Error) => void } | null = null;
  readonly ready: Promise<ResumeState>;
  readonly #exited: Promise<void>;
  #closing: Promise<void> | null = null;
  /** Plans the thread's sampler has made. */
  planned = 0;
  /** Skips by reason, as of the last batch received. */
  skips = new Map<string, number>();

  constructor(init: ThreadInit, readonly metrics: MetricsBus, readonly captions: Captions) {
    this.ready = new Promise((resolve, reject) => { this.#ready = { resolve, reject }; });
    this.#worker = new Worker(threadEntry(), { workerData: init, execArgv: workerExecArgv(), name: 'tunefeed-prefetch' });
    this.#worker.on('message', (m: FromThread) => this.#onMessage(m));
    this.#worker.on('error', (err) => this.#fail(new TunefeedError(`prefetch thread failed: ${err.message}`, { cause: err })));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', (code) => {
      if (!this.#closing) this.#fail(new TunefeedError(`prefetch thread exited unexpectedly (code ${code})`));
      resolve();
    }));
  }

  /** The error that ended the sequence early after its last batch (delivered once the queue is drained). */
  get endError(): Error | null { return this.#endError; }

  /** Give the thread one more batch to send. */
  credit(): void {
    if (!this.#closing) this.#post({ type: 'credit', n: 1 });
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return { next: () => this.#next() };
  }

  #next(): Promise<IteratorResult<Envelope>> {
    const e = this.#queue.shift();
    if (e) return Promise.resolve({ done: false, value: e });
    if (this.#error) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve({ done: true, value: undefined });
    // Keep the process alive only while someone waits for a batch (an abandoned, full loader lets it exit).
    this.#worker.ref();
    return new Promise((resolve, reject) => { this.#waiter = { resolve, reject }; });
  }

  #wake(): void {
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    this.#worker.unref();
    this.#next().then(w.resolve, w.reject);
  }

  #onMessage(m: FromThread): void {
    switch (m.type) {
      case 'batch': this.skips = new Map(m.skips); this.#queue.push(m.envelope); this.#wake(); break;
      case 'planned': this.planned = m.n; break;
      case 'metric': { const { type, ts: _ts, ...fields } = m.event; this.metrics.emit(type, fields); break; }
      case 'caption': void this.#caption(m); break;
      case 'ready': this.#ready?.resolve(m.initial); this.#ready = null; this.#worker.unref(); break;
      case 'end': this.#endError = m.error ? fromWireError(m.error) : null; this.#done = true; this.#wake(); break;
      case 'error': this.#fail(fromWireError(m.error)); break;
      case 'closed': break;
    }
  }

  async #caption(m: Extract<FromThread, { type: 'caption' }>): Promise<void> {
    try {
      const value = await this.captions.get(m.dataset)!(m.key, m.sampleSeed);
      this.#post({ type: 'caption-result', id: m.id, value });
    } catch (err) {
      this.#post({ type: 'caption-result', id: m.id, error: toWireError(err) });
    }
  }

  #fail(err: Error): void {
    if (this.#error || this.#closing) return;
    this.#error = err;
    if (this.#ready) { this.#ready.reject(err); this.#ready = null; }
    this.#wake();
  }

  #post(m: ToThread): void {
    try { this.#worker.postMessage(m); } catch { /* the thread is gone; its exit is reported */ }
  }

  /** Ask the thread to release its pool and clients, then terminate it (also after a grace period). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#worker.ref();
      this.#post({ type: 'close' });
      let timer: NodeJS.Timeout | undefined;
      const closed = new Promise<void>((resolve) => {
        const onMsg = (m: FromThread): void => { if (m.type === 'closed') resolve(); };
        this.#worker.on('message', onMsg);
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
      });
      await Promise.race([closed, this.#exited]);
      clearTimeout(timer);
      await this.#worker.terminate();
      this.#done = true;
      this.#wake();
    })();
    return this.#closing;
  }
}
