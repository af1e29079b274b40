// Reads the metadata table of a parquet metadata backend (.parquet via hyparquet with utf8:false, or .jsonl).
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { parquetReadObjects, parquetSchema, parquetMetadata } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataFileError } from '../errors.js';
import type { StorageBackend } from '../storage/types.js';

export type Row = Record<string, unknown>;

/**
 * Reads the table bytes: through the storage backend when the path is inside it, else from local disk (config-given).
 */
async function tableBytes(storage: StorageBackend, path: string, dataset: string): Promise<Buffer> {
  try {
    return await storage.read(storage.keyFromExternal(path));
  } catch (err) {
    if (isAbsolute(path))
      return readFile(path).catch((e: unknown) => {
        throw new DataFileError(`cannot read metadata table: ${(e as Error).message}`, {
          dataset,
          file: path,
          cause: e,
        });
      });
    throw new DataFileError(`cannot read metadata table: ${(err as Error).message}`, {
      dataset,
      file: path,
      cause: err,
    });
  }
}

function jsonlRows(text: string, file: string, dataset: string): Row[] {
  const rows: Row[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new DataFileError(`invalid JSON: ${(err as Error).message}`, { dataset, file, row: i + 1, cause: err });
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new DataFileError('each line must be a JSON object', { dataset, file, row: i + 1 });
    rows.push(v as Row);
  });
  return rows;
}

/** All rows with only `columns` (those that exist); a missing required column is a DataFileError naming it. */
export async function readTable(
  storage: StorageBackend,
  path: string,
  required: string[],
  optional: string[],
  dataset: string,
): Promise<Row[]> {
  const buf = await tableBytes(storage, path, dataset);
  let rows: Row[];
  let present: Set<string>;
  if (/\.jsonl?$/i.test(path)) {
    rows = jsonlRows(buf.toString('utf8'), path, dataset);
    present = new Set(rows.flatMap((r) => Object.keys(r)));
  } else {
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    let names: string[];
    try {
      names = parquetSchema(parquetMetadata(file)).children.map((c) => c.element.name);
    } catch (err) {
      throw new DataFileError(`not a readable parquet file: ${(err as Error).message}`, {
        dataset,
        file: path,
        cause: err,
      });
    }
    present = new Set(names);
    const columns = [...required, ...optional].filter((c) => present.has(c));
    rows = (await parquetReadObjects({ file, columns: [...new Set(columns)], utf8: false, compressors })) as Row[];
  }
  const missing = required.filter((c) => !present.has(c));
  if (missing.length && rows.length) {
    throw new DataFileError(`missing column(s) ${missing.join(', ')}; columns are: ${[...present].join(', ')}`, {
      dataset,
      file: path,
      field: missing[0],
    });
  }
  return rows;
}

/** A cell as text (bytes decoded, strings stripped), or null. */
export function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8').trim();
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}

/** A cell as a positive finite number, or null. */
export function cellNumber(v: unknown): number | null {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null;
}
