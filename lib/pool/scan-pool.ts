// The scan worker pool: piscina running workers/scan.ts, with one retry for a task whose worker died.
import { Piscina } from 'piscina';
import { availableParallelism } from 'node:os';
import { logger } from '../log.js';
import { createStorage, loadStoragePlugin } from '../storage/from-description.js';
import type { StorageBackend } from '../storage/types.js';
import { runScanTask, type ScanTask, type ScanTaskResult } from '../metadata/scan-task.js';
import { poolOptions, workerPath } from './worker-path.js';

const log = logger('pool/scan');
const TASKS_PER_WORKER = 2;

/** Anything that runs scan tasks: the piscina pool, or the in-thread runner for small scans and tests. */
export interface ScanRunner {
  run(task: ScanTask, signal?: AbortSignal): Promise<ScanTaskResult>;
  /** Tasks the runner can usefully hold in flight. */
  readonly concurrency: number;
  close(): Promise<void>;
  /** Share of the pool's capacity used so far (0..1), for the dashboard; absent for in-thread runners. */
  readonly utilization?: number;
}

/** Options for the scan pool. */
export interface ScanPoolOptions {
  /** Worker threads. @default min(4, availableParallelism()) */
  threads?: number;
  /**
   * Worker task file exporting the scan task function (a wrapper around workers/scan, e.g. one that injects faults
   * in tests). An absolute path.
   * @default workers/scan
   */
  filename?: string;
}

/** A piscina pool of scan workers. A task whose worker crashes is retried once, then its keys are reported. */
export class ScanPool implements ScanRunner {
  readonly #pool: Piscina;
  readonly concurrency: number;
  #retries: Promise<unknown> = Promise.resolve();

  constructor(options: ScanPoolOptions = {}) {
    const threads = Math.max(1, options.threads ?? Math.min(4, availableParallelism()));
    // Two tasks per worker really run at once (piscina's default is one, which left half the window queued): while
    // one task waits on its last reads, the other keeps requests in flight, and no worker idles between tasks.
    this.#pool = new Piscina({
      ...poolOptions(options.filename ?? workerPath('scan')),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 5000,
      concurrentTasksPerWorker: TASKS_PER_WORKER,
    });
    this.concurrency = threads * TASKS_PER_WORKER;
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  get utilization(): number {
    return this.#pool.utilization;
  }

  async run(task: ScanTask, signal?: AbortSignal): Promise<ScanTaskResult> {
    try {
      return (await this.#pool.run(task, signal ? { signal } : {})) as ScanTaskResult;
    } catch (first) {
      if (signal?.aborted) throw first;
      log.warn({ err: (first as Error).message, keys: task.items.length }, 'scan task failed; retrying once');
      // A crash takes down every task running in that worker. Retries run one at a time, so an innocent task's retry
      // never shares a worker with the retry of the task that crashed it.
      const retry = this.#retries.then(() => this.#pool.run(task, signal ? { signal } : {}) as Promise<ScanTaskResult>);
      this.#retries = retry.catch(() => undefined);
      try {
        return await retry;
      } catch (second) {
        const message = `worker failed twice: ${(second as Error).message}`;
        return {
          bytesRead: 0,
          results: task.items.map((i) => ({ key: i.key, ok: false, reason: 'read_error', message })),
        };
      }
    }
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/** Runs tasks on the calling thread (no worker start-up cost): for small scans and tests. */
export class InlineScanRunner implements ScanRunner {
  readonly concurrency = 2;
  readonly #clients = new Map<string, StorageBackend>();

  constructor(private readonly storage?: StorageBackend) {}

  async run(task: ScanTask): Promise<ScanTaskResult> {
    const k = JSON.stringify(task.desc);
    let s = this.storage ?? this.#clients.get(k);
    if (!s) {
      await loadStoragePlugin(task.desc);
      s = createStorage(task.desc);
      this.#clients.set(k, s);
    }
    return runScanTask(task, s);
  }

  async close(): Promise<void> {}
}
