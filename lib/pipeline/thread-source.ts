// Main-thread end of the prefetch thread: starts it, receives batches as an async iterable, returns credits, closes it.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
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
 * Envelopes from the prefetch thread. The thread sends a batch only against a credit; `credit()` returns them as the
 * consumer takes batches, so batches sent but not yet delivered never exceed the initial credits (= prefetch).
 */
export class ThreadSource implements AsyncIterable<Envelope> {
  readonly #worker: Worker;
  /** Our end of the channel the thread sends batches on (a MessagePort, so it can be read synchronously). */
  readonly #port: MessagePort;
  readonly #queue: Envelope[] = [];
  #waiter: { resolve: (r: IteratorResult<Envelope>) => void; reject: (e: Error) => void } | null = null;
  #done = false;
  #error: Error | null = null;
  #endError: Error | null = null;
  #ready: { resolve: (s: ResumeState) => void; reject: (e: Error) => void } | null = null;
  readonly ready: Promise<ResumeState>;
  readonly #exited: Promise<void>;
  #closing: Promise<void> | null = null;
  #owed = 0;
  readonly #chunk: number;
  /** Plans the thread's sampler has made. */
  planned = 0;
  /** Skips by reason, as of the last batch received. */
  skips = new Map<string, number>();

  constructor(
    init: ThreadInit,
    readonly metrics: MetricsBus,
    readonly captions: Captions,
  ) {
    this.#chunk = Math.max(1, Math.ceil(init.credits / 4));
    this.ready = new Promise((resolve, reject) => {
      this.#ready = { resolve, reject };
    });
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(threadEntry(), {
      workerData: { ...init, port: port2 },
      transferList: [port2],
      execArgv: workerExecArgv(),
      name: 'tunefeed-prefetch',
    });
    this.#port.on('message', (m: FromThread) => this.#onMessage(m));
    this.#worker.on('error', (err) =>
      this.#fail(new TunefeedError(`prefetch thread failed: ${err.message}`, { cause: err })),
    );
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        if (!this.#closing) this.#fail(new TunefeedError(`prefetch thread exited unexpectedly (code ${code})`));
        resolve();
      }),
    );
  }

  /** The error that ended the sequence early after its last batch (delivered once the queue is drained). */
  get endError(): Error | null {
    return this.#endError;
  }

  /**
   * Give the thread one more batch to send. Credits go back in chunks of ceil(prefetch / 4): each message wakes the
   * thread, and on a busy machine the woken thread can take the core from the consumer mid-step (measured wait share
   * of a main-thread-busy consumer ~2.9 % with one credit per batch, ~1.7 % with chunks of 3; prefetch 10). While the
   * thread waits for credits at least prefetch - chunk + 1 batches are queued here, so it never starves the consumer.
   */
  credit(): void {
    if (this.#closing) return;
    if (++this.#owed < this.#chunk) return;
    this.#post({ type: 'credit', n: this.#owed });
    this.#owed = 0;
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
    this.#ref(true);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #wake(): void {
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    this.#ref(false);
    this.#next().then(w.resolve, w.reject);
  }

  #onMessage(m: FromThread): void {
    switch (m.type) {
      case 'batch':
        this.skips = new Map(m.skips);
        this.#queue.push(m.envelope);
        this.#wake();
        break;
      case 'planned':
        this.planned = m.n;
        break;
      case 'metric': {
        const { type, ts: _ts, ...fields } = m.event;
        this.metrics.emit(type, fields);
        break;
      }
      case 'caption':
        void this.#caption(m);
        break;
      case 'ready':
        this.#ready?.resolve(m.initial);
        this.#ready = null;
        this.#ref(false);
        break;
      case 'end':
        this.#endError = m.error ? fromWireError(m.error) : null;
        this.#done = true;
        this.#wake();
        break;
      case 'error':
        this.#fail(fromWireError(m.error));
        break;
      case 'closed':
        break;
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
    if (this.#ready) {
      this.#ready.reject(err);
      this.#ready = null;
    }
    this.#wake();
  }

  #ref(on: boolean): void {
    for (const h of [this.#worker, this.#port])
      if (on) h.ref();
      else h.unref();
  }

  /**
   * Take in, synchronously, every message the thread has already sent (the consumer is asking for a batch). Without
   * this, messages are dispatched one per callback and the consumer resumes after the first, so each ask would wait
   * for an event-loop turn although the batch is already here. Returns the envelopes now ready.
   */
  poll(): number {
    if (this.#closing) return this.#queue.length;
    for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port))
      this.#onMessage(m.message as FromThread);
    return this.#queue.length;
  }

  #post(m: ToThread): void {
    try {
      this.#port.postMessage(m);
    } catch {
      /* the thread is gone; its exit is reported */
    }
  }

  /** Ask the thread to release its pool and clients, then terminate it (also after a grace period). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#ref(true);
      this.#post({ type: 'close' });
      let timer: NodeJS.Timeout | undefined;
      const closed = new Promise<void>((resolve) => {
        const onMsg = (m: FromThread): void => {
          if (m.type === 'closed') resolve();
        };
        this.#port.on('message', onMsg);
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
      });
      await Promise.race([closed, this.#exited]);
      clearTimeout(timer);
      await this.#worker.terminate();
      this.#port.close();
      this.#done = true;
      this.#wake();
    })();
    return this.#closing;
  }
}
