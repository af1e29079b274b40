// The decode pool: piscina with few threads and several tasks in flight per thread; a crashed task is retried once.
import { rmSync } from 'node:fs';
import { Piscina } from 'piscina';
import { killRunningFfmpeg } from '../video/read-frames.js';
import { videoTempDir } from '../video/temp-dir.js';
import { logger } from '../log.js';
import type { MetricsBus } from '../metrics/events.js';
import type { DecodeResult, DecodeTask } from '../image/decode-task.js';
import { decodeTaskBytes, readsWhole, readTaskBytes, runDecodeTask } from '../image/run-task.js';
import { poolOptions, workerPath } from './worker-path.js';

const log = logger('pool/decode');

/** Options for the decode pool. */
export interface DecodePoolOptions {
  /**
   * Worker threads. sharp's work runs on the process-wide libuv pool, not on the worker thread, so one thread
   * that keeps several decodes in flight already fills 2 cores; a second thread only adds message overhead there.
   * `0` decodes in the calling thread (the loader's prefetch thread by default): no task messages or extra isolate,
   * about 1 ms of CPU less per 512² image, but a native crash in sharp is no longer contained and retried.
   * @default 1
   */
  threads?: number;
  /**
   * Decodes in flight per worker thread (each waits on libuv, not on the thread).
   * @default 4
   */
  tasksPerThread?: number;
  /** Worker file (tests substitute a fault-injecting wrapper). @default workers/decode */
  filename?: string;
  metrics?: MetricsBus;
}

/** A pool that decodes samples off the main thread. `run` never rejects: failures come back as skip results. */
export class DecodePool {
  readonly #pool: Piscina | null;
  readonly #metrics: MetricsBus | undefined;
  #crashes = 0;
  /** threads 0: decodes running in this thread, and the ones waiting for a slot (like piscina's queue). */
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #slots: number;
  #closed = false;
  /** Where this pool's workers stage remote video clips for ffmpeg (created on first use, removed on close). */
  readonly tempDir = videoTempDir();
  #reported = 0;
  /** Tasks on the piscina pool now (for the utilisation the dashboard shows). */
  #inFlight = 0;

  constructor(opts: DecodePoolOptions = {}) {
    const threads = opts.threads ?? 1;
    this.#metrics = opts.metrics;
    this.#slots = opts.tasksPerThread ?? 4;
    if (threads === 0) {
      this.#pool = null;
      return;
    }
    this.#pool = new Piscina({
      ...poolOptions(opts.filename ?? workerPath('decode')),
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: opts.tasksPerThread ?? 4,
      idleTimeout: 30_000,
    });
    // After destroy(), a worker may still answer a task piscina already dropped; piscina reports that as 'error'.
    this.#pool.on('error', (err: Error) => {
      if (!this.#closed) log.warn({ err: err.message }, 'decode pool error');
    });
  }

  /** Tasks queued (not yet on a worker). */
  get queued(): number {
    return this.#pool?.queueSize ?? this.#waiting.length;
  }
  /** threads 0: decodes running in this thread now (reads before them take no slot); 0 with worker threads. */
  get decoding(): number {
    return this.#running;
  }
  /** Worker crashes seen so far. */
  get crashes(): number {
    return this.#crashes;
  }

  /**
   * Decode one sample; a task whose worker died is retried once on a fresh worker, then reported as `worker_crash`.
   * Cached latents stay on this thread: parsing one costs microseconds, while on a worker each read would hold one
   * of the few task slots for its whole round trip (4 GETs in flight at 20 ms each caps S3 at 200 latents/s).
   */
  async run(task: DecodeTask, signal?: AbortSignal): Promise<DecodeResult> {
    if (!this.#pool || task.kind === 'latents') return this.#runHere(task, signal);
    for (let attempt = 1; ; attempt++) {
      this.#inFlight++;
      try {
        const r = (await this.#pool.run(task, signal ? { signal } : {})) as DecodeResult;
        this.#report(this.#pool);
        return r;
      } catch (err) {
        if (signal?.aborted) throw err;
        if (this.#closed) return { ok: false, reason: 'closed', message: 'The decode pool was closed' };
        this.#crashes++;
        this.#metrics?.emit('loader.worker_crash', { key: task.key, attempt, dataset: task.storage.id });
        log.warn({ key: task.key, attempt, err: (err as Error).message }, 'decode worker failed');
        if (attempt >= 2)
          return { ok: false, reason: 'worker_crash', message: `Worker failed twice: ${(err as Error).message}` };
      } finally {
        this.#inFlight--;
      }
    }
  }

  /**
   * threads 0: the task body in this thread, at most `tasksPerThread` decodes at once, so a deeper ordered window
   * upstream adds slack (work queued behind a slow head) without adding decodes to the libuv pool. The read comes
   * first and takes no slot: it waits on the network or disk, not on a core, so reads in flight are bounded by the
   * window (a remote object no longer holds one of the few decode slots for its round trip).
   */
  async #runHere(task: DecodeTask, signal?: AbortSignal): Promise<DecodeResult> {
    const read = readsWhole(task) ? await readTaskBytes(task) : null;
    if (read && !read.ok) return read;
    if (this.#running >= this.#slots) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      signal?.throwIfAborted();
      if (this.#closed) return { ok: false, reason: 'closed', message: 'The decode pool was closed' };
      return read ? await decodeTaskBytes(task, read.bytes, read.readMs) : await runDecodeTask(task);
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  /**
   * Utilisation for the dashboard, at most twice a second: the share of task slots (threads × tasks per thread) in use
   * as this task ends. piscina's own `utilization` counts thread time, which stays near zero here because the decode
   * work runs on libuv's pool while the worker waits.
   */
  #report(pool: Piscina): void {
    if (!this.#metrics) return;
    const now = performance.now();
    if (now - this.#reported < 500) return;
    this.#reported = now;
    this.#metrics.emit('pool.utilization', {
      pool: 'decode',
      utilization: Math.min(1, this.#inFlight / Math.max(1, pool.threads.length * this.#slots)),
      threads: pool.threads.length,
      queued: pool.queueSize,
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#pool) killRunningFfmpeg();
    await this.#pool?.destroy();
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}
