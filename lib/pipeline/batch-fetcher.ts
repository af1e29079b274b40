// Prefetch: a Readable keeping up to `qlen` whole batches ready; measures consumer wait, queue depth and throughput.
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MetricsBus } from '../metrics/events.js';
import type { ResumeState } from '../sampling/state.js';
import type { Envelope } from './assemble.js';
import type { Batch } from './types.js';

/** Counters the fetcher keeps (also sent as metric events). */
export interface FetcherStats {
  delivered: number;
  samples: number;
  /** Total ms the consumer asked for a batch and none was ready. */
  waitMs: number;
  /** Wall ms since the first delivery. */
  elapsedMs: number;
}

/** How the fetcher is set up. */
export interface FetcherOptions {
  /** Ready batches kept (the Readable's highWaterMark). */
  qlen: number;
  metrics: MetricsBus;
  /** Resume state before the first batch. */
  initial: ResumeState;
  /** Error to end with once upstream is done (the sampler's early stop). */
  endError?: () => Error | null;
  /** Called once per batch handed to the consumer (the prefetch thread's credit). */
  onDelivered?: () => void;
  /**
   * Yield one event-loop turn per batch in `for await` (needed when the pipeline runs on this thread). @default true
   */
  turnPerBatch?: boolean;
  /** Called when the consumer asks: takes in batches that already arrived; returns how many are ready upstream. */
  poll?: () => number;
}

/**
 * SimpleTuner's BatchFetcher without the spin-wait: Node calls `_read` whenever fewer than `qlen` batches are
 * buffered, so preparation runs ahead by itself and stops at the bound; the consumer's wait is a promise, not a loop.
 */
export class BatchFetcher extends Readable {
  readonly #upstream: AsyncIterator<Envelope>;
  readonly #metrics: MetricsBus;
  readonly #states = new WeakMap<Batch, ResumeState>();
  #state: ResumeState;
  #pulling = false;
  #waitStart: number | null = null;
  #pending: Error | null = null;
  readonly #endError: () => Error | null;
  readonly #onDelivered: () => void;
  readonly #turnPerBatch: boolean;
  readonly #poll: () => number;
  #stats: FetcherStats = { delivered: 0, samples: 0, waitMs: 0, elapsedMs: 0 };
  #t0 = 0;
  #lastRate = { t: 0, batches: 0, samples: 0 };

  constructor(upstream: AsyncIterable<Envelope>, opts: FetcherOptions) {
    super({ objectMode: true, highWaterMark: opts.qlen });
    this.#upstream = upstream[Symbol.asyncIterator]();
    this.#metrics = opts.metrics;
    this.#state = opts.initial;
    this.#endError = opts.endError ?? (() => null);
    this.#onDelivered = opts.onDelivered ?? (() => {});
    this.#turnPerBatch = opts.turnPerBatch ?? true;
    this.#poll = opts.poll ?? (() => 0);
    this.once('end', () => this.#rate(true));
  }

  /** The resume state after the last batch the consumer received. */
  state(): ResumeState {
    return structuredClone(this.#state);
  }

  get stats(): FetcherStats {
    return { ...this.#stats, elapsedMs: this.#t0 ? performance.now() - this.#t0 : 0 };
  }

  override _read(): void {
    if (this.#pulling) return;
    this.#pulling = true;
    void this.#pull();
  }

  async #pull(): Promise<void> {
    try {
      for (;;) {
        const r = await this.#upstream.next();
        if (r.done) {
          const e = this.#endError();
          if (e) this.fail(e);
          else this.push(null);
          break;
        }
        this.#states.set(r.value.batch, r.value.state);
        this.#closeWait();
        const more = this.push(r.value.batch);
        this.#metrics.emit('loader.queue', { depth: this.readableLength, max: this.readableHighWaterMark });
        if (!more) break;
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.#pulling = false;
    }
  }

  /**
   * `for await` resolves from the buffer with microtasks only, so a consumer that computes on the main thread between
   * batches would never let decode results in or new decodes out. In-process, one event-loop turn per batch keeps the
   * pool fed. With the prefetch thread production does not need this thread, and a turn after a long synchronous step
   * is where the OS gives the core away (measured: 0.2–36 ms per turn with a full queue on a loaded 2-core machine),
   * so batches already queued are handed over at once; messages are taken in when the queue runs empty.
   */
  override async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    for await (const b of super[Symbol.asyncIterator]()) {
      if (this.#turnPerBatch) await nextTurn();
      yield b as Batch;
    }
  }

  /** End with `err` once the batches already prepared have been delivered (destroying at once would drop them). */
  fail(err: Error): void {
    this.#pending ??= err;
    if (this.readableLength === 0 && !this.destroyed) this.destroy(this.#pending);
  }

  /** Consumers in paused mode and `for await` call read(); null while not ended means the consumer now waits. */
  override read(size?: number): Batch {
    // read(0) is Node's internal "top up the buffer" call, not a consumer asking.
    const asking = size !== 0;
    const arrived = asking ? this.#poll() : 0;
    const b = super.read(size) as Batch | null;
    if (!b && this.#pending && !this.destroyed) this.destroy(this.#pending);
    if (b) this.#delivered(b);
    // A batch that already arrived upstream reaches the buffer within microtasks: that is not a wait.
    else if (asking && arrived === 0 && this.readableLength === 0 && !this.readableEnded && this.#waitStart === null)
      this.#waitStart = performance.now();
    return b as Batch;
  }

  /** Flowing mode may emit 'data' straight from push(), bypassing read(). */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') this.#delivered(args[0] as Batch);
    return super.emit(event, ...args);
  }

  #closeWait(): void {
    if (this.#waitStart === null) return;
    const ms = performance.now() - this.#waitStart;
    this.#waitStart = null;
    if (this.#stats.delivered === 0) return; // the first batch's latency is start-up, not a stall
    this.#stats.waitMs += ms;
    this.#metrics.emit('loader.wait', { ms });
  }

  #delivered(b: Batch): void {
    const s = this.#states.get(b);
    if (!s) return; // already counted (flowing mode passes through both read() and emit)
    this.#states.delete(b);
    this.#state = s;
    this.#onDelivered();
    if (this.#stats.delivered++ === 0) this.#t0 = this.#lastRate.t = performance.now();
    this.#stats.samples += b.samples.length;
    this.#metrics.emit('loader.queue', { depth: this.readableLength, max: this.readableHighWaterMark });
    this.#rate();
  }

  /** About once a second, and once at the end (`final: true`) so short runs report too. */
  #rate(final = false): void {
    const now = performance.now();
    if (!final && now - this.#lastRate.t < 1000) return;
    const sec = Math.max(now - this.#lastRate.t, 1e-3) / 1000;
    this.#metrics.emit('loader.throughput', {
      batches_s: (this.#stats.delivered - this.#lastRate.batches) / sec,
      samples_s: (this.#stats.samples - this.#lastRate.samples) / sec,
      wait_ms_total: this.#stats.waitMs,
      ...(final ? { final: true, batches: this.#stats.delivered, samples: this.#stats.samples } : {}),
    });
    this.#lastRate = { t: now, batches: this.#stats.delivered, samples: this.#stats.samples };
  }
}
