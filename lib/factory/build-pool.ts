// A small piscina pool for builders' CPU-heavy steps (CSV index parsing), started only when a build needs it.
import { Piscina } from 'piscina';
import { DataFileError, WorkerError } from '../errors.js';
import { unpackCsvIndex, type CsvIndex, type CsvIndexResult, type CsvIndexTask } from '../storage/csv-index.js';
import { poolOptions, workerPath } from '../pool/worker-path.js';

/** Runs build tasks on worker threads; errors keep their code across the thread boundary. */
export class BuildPool {
  #pool: Piscina | undefined;
  readonly #threads: number;

  constructor(threads = 2) {
    this.#threads = Math.max(1, threads);
  }

  /** Parse a CSV index on a worker thread. */
  async csvIndex(task: Omit<CsvIndexTask, 'kind'>): Promise<CsvIndex> {
    this.#pool ??= new Piscina({
      ...poolOptions(workerPath('build-backend')),
      maxThreads: this.#threads,
      minThreads: 0,
      idleTimeout: 2000,
    });
    let res: CsvIndexResult;
    try {
      res = (await this.#pool.run({ kind: 'csv-index', ...task })) as CsvIndexResult;
    } catch (err) {
      throw new WorkerError(`Build worker failed: ${(err as Error).message}`, {
        dataset: task.dataset,
        file: task.csvFile,
        cause: err,
      });
    }
    if (res.ok) return unpackCsvIndex(res.index);
    throw revive(res.error, task.dataset, task.csvFile);
  }

  async close(): Promise<void> {
    await this.#pool?.destroy();
    this.#pool = undefined;
  }
}

/** Rebuild the coded error the caller expects from the fields the worker sent. */
function revive(
  e: { code: string; message: string; row?: number; field?: string },
  dataset: string,
  file: string,
): Error {
  const message = e.message.replace(/ \(dataset=.*\)$/s, '');
  const ctx = { dataset, file, ...(e.row !== undefined ? { row: e.row } : {}), ...(e.field ? { field: e.field } : {}) };
  return e.code === 'TF_DATA_FILE'
    ? new DataFileError(message, ctx)
    : new WorkerError(`Build worker failed: ${message}`, ctx);
}
