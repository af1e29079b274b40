// Streams a CSV-of-URLs with csv-parse into an index url → caption (last duplicate wins), with row-level errors.
import { createReadStream } from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { DataFileError } from '../errors.js';
import { urlProblem } from './net-policy.js';

/** A row that was skipped, with where and why. */
export interface CsvRowProblem {
  row: number;
  column: string;
  reason: string;
}

/** The parsed index. Map order = order of each URL's last occurrence. */
export interface CsvIndex {
  entries: Map<string, string | null>;
  rows: number;
  duplicates: number;
  skipped: CsvRowProblem[];
}

/**
 * Parse `file` (BOM, CRLF, quoted fields handled); structural problems throw DataFileError naming file, row, column.
 */
export async function readCsvIndex(
  file: string,
  urlColumn: string,
  captionColumn: string | null,
  dataset: string,
): Promise<CsvIndex> {
  const source = createReadStream(file);
  const parser = source.pipe(parse({ bom: true, columns: true, skip_empty_lines: true, info: true, trim: false }));
  // pipe() does not forward source errors: without this a missing file would be an uncaught exception.
  source.on('error', (err) => parser.destroy(err));
  const index: CsvIndex = { entries: new Map(), rows: 0, duplicates: 0, skipped: [] };
  let checked = false;
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const { record, info } = item;
      if (!checked) {
        checkColumns(Object.keys(record), file, urlColumn, captionColumn, dataset);
        checked = true;
      }
      index.rows++;
      addRow(index, record, info.lines, urlColumn, captionColumn);
    }
  } catch (err) {
    if (err instanceof DataFileError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DataFileError(`CSV file not found`, { dataset, file, field: 'csv_file', cause: err });
    throw csvError(err, file, dataset);
  } finally {
    parser.destroy();
    source.destroy();
  }
  return index;
}

function addRow(
  index: CsvIndex,
  record: Record<string, string>,
  line: number,
  urlColumn: string,
  captionColumn: string | null,
): void {
  const url = (record[urlColumn] ?? '').trim();
  const problem = url === '' ? 'empty URL' : urlProblem(url);
  if (problem) {
    index.skipped.push({ row: line, column: urlColumn, reason: `${problem}: ${JSON.stringify(url.slice(0, 200))}` });
    return;
  }
  if (index.entries.delete(url)) index.duplicates++;
  index.entries.set(url, captionColumn ? (record[captionColumn] ?? null) : null);
}

function checkColumns(
  header: string[],
  file: string,
  urlColumn: string,
  captionColumn: string | null,
  dataset: string,
): void {
  for (const [field, col] of [
    ['csv_url_column', urlColumn],
    ['csv_caption_column', captionColumn],
  ] as const) {
    if (col && !header.includes(col)) {
      throw new DataFileError(
        `CSV header has no column "${col}"; columns are: ${header.map((h) => JSON.stringify(h)).join(', ')}`,
        { dataset, file, row: 1, field },
      );
    }
  }
}

function csvError(err: unknown, file: string, dataset: string): DataFileError {
  if (err instanceof CsvError) {
    const e = err as CsvError & { lines?: number; column?: string | number; record?: unknown };
    const col = e.column !== undefined ? String(e.column) : undefined;
    const what =
      e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || e.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
        ? 'row has a different number of fields than the header'
        : e.code.startsWith('CSV_INVALID') || e.code.includes('QUOTE')
          ? 'bad quoting'
          : e.code;
    return new DataFileError(`Malformed CSV (${what}): ${e.message}`, {
      dataset,
      file,
      ...(e.lines ? { row: e.lines } : {}),
      ...(col ? { field: col } : {}),
      cause: err,
    });
  }
  return new DataFileError(`Cannot read CSV: ${(err as Error).message}`, { dataset, file, cause: err });
}

/** The index as plain arrays (cheap to post between threads). */
export interface PackedCsvIndex {
  urls: string[];
  captions: (string | null)[];
  rows: number;
  duplicates: number;
  skipped: CsvRowProblem[];
}

export function packCsvIndex(idx: CsvIndex): PackedCsvIndex {
  return {
    urls: [...idx.entries.keys()],
    captions: [...idx.entries.values()],
    rows: idx.rows,
    duplicates: idx.duplicates,
    skipped: idx.skipped,
  };
}

export function unpackCsvIndex(p: PackedCsvIndex): CsvIndex {
  return {
    entries: new Map(p.urls.map((u, i) => [u, p.captions[i] ?? null])),
    rows: p.rows,
    duplicates: p.duplicates,
    skipped: p.skipped,
  };
}

/** A build-worker task: parse one CSV-of-URLs file (the main thread adopts the packed index). */
export interface CsvIndexTask {
  kind: 'csv-index';
  dataset: string;
  csvFile: string;
  urlColumn: string;
  captionColumn: string | null;
}

/** What the build worker posts back: the packed index, or the error's fields as data. */
export type CsvIndexResult =
  | { ok: true; index: PackedCsvIndex }
  | { ok: false; error: { code: string; message: string; row?: number; field?: string } };
