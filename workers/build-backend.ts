// Builder worker: the CPU-heavy part of opening a backend (CSV index parse) off the main thread.
import { packCsvIndex, readCsvIndex, type CsvIndexResult, type CsvIndexTask } from '../lib/storage/csv-index.js';
import { isTunefeedError } from '../lib/errors.js';

/** Parse one CSV-of-URLs file; the main thread adopts the packed index instead of parsing it again. */
export default async function buildBackend(task: CsvIndexTask): Promise<CsvIndexResult> {
  try {
    return {
      ok: true,
      index: packCsvIndex(await readCsvIndex(task.csvFile, task.urlColumn, task.captionColumn, task.dataset)),
    };
  } catch (err) {
    // Structured clone drops an Error's own fields (code, row): send them as data.
    const e = err as { code?: string; message?: string; row?: number; field?: string };
    return {
      ok: false,
      error: {
        code: isTunefeedError(err) ? err.code : 'TF_WORKER',
        message: e.message ?? String(err),
        ...(e.row !== undefined ? { row: e.row } : {}),
        ...(e.field ? { field: e.field } : {}),
      },
    };
  }
}
