// A read-only table over parquet shards: global row numbers, row groups decoded on demand and kept in a byte-bounded
// LRU.
import {
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataFileError, NotFoundError } from '../errors.js';
import type { ShardFile, ShardSource } from './hf-source.js';

type Row = Record<string, unknown>;

interface Shard {
  file: ShardFile;
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  columns: Set<string>;
  /** Global index of each row group's first row, plus the end. */
  starts: number[];
}

/** Where one global row lives. */
export interface RowAddress {
  shard: number;
  group: number;
  /** Row inside the group. */
  offset: number;
}

/** Shards in order, with the row-group cache. */
export class ParquetTable {
  readonly #shards: Shard[];
  readonly #dataset: string;
  readonly #label: string;
  readonly #cacheBytes: number;
  readonly #cache = new Map<string, { rows: Promise<Row[]>; bytes: number }>();
  #cached = 0;

  private constructor(shards: Shard[], dataset: string, label: string, cacheBytes: number) {
    this.#shards = shards;
    this.#dataset = dataset;
    this.#label = label;
    this.#cacheBytes = cacheBytes;
  }

  /** Read every shard's footer (a couple of ranged reads each), 4 at a time. */
  static async open(
    source: ShardSource,
    files: ShardFile[],
    dataset: string,
    cacheBytes: number,
  ): Promise<ParquetTable> {
    const shards = new Array<Shard>(files.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < files.length; i = next++) {
        const buffer = source.open(files[i]);
        const metadata = await parquetMetadataAsync(buffer).catch((err: unknown) => {
          throw new DataFileError(`Not a readable parquet file: ${(err as Error).message}`, {
            dataset,
            file: files[i].path,
            cause: err,
          });
        });
        shards[i] = {
          file: files[i],
          buffer,
          metadata,
          columns: new Set(parquetSchema(metadata).children.map((c) => c.element.name)),
          starts: [],
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, files.length) }, lane));
    let total = 0;
    for (const s of shards) {
      for (const g of s.metadata.row_groups) {
        s.starts.push(total);
        total += Number(g.num_rows);
      }
      s.starts.push(total);
    }
    return new ParquetTable(shards, dataset, source.label, cacheBytes);
  }

  get rowCount(): number {
    const last = this.#shards.at(-1);
    return last ? last.starts.at(-1)! : 0;
  }

  get shardFiles(): readonly ShardFile[] {
    return this.#shards.map((s) => s.file);
  }

  /** Every row group in order: shard, group, first global row, row count. */
  *groups(): Generator<{ shard: number; group: number; start: number; rows: number }> {
    for (let s = 0; s < this.#shards.length; s++) {
      const st = this.#shards[s].starts;
      for (let g = 0; g + 1 < st.length; g++) yield { shard: s, group: g, start: st[g], rows: st[g + 1] - st[g] };
    }
  }

  /** The shard, row group and offset of a global row (binary search), or NotFoundError. */
  locate(row: number): RowAddress {
    for (let s = 0; s < this.#shards.length; s++) {
      const st = this.#shards[s].starts;
      if (row < st[0] || row >= st.at(-1)!) continue;
      let lo = 0;
      let hi = st.length - 2;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (st[mid] <= row) lo = mid;
        else hi = mid - 1;
      }
      return { shard: s, group: lo, offset: row - st[lo] };
    }
    throw new NotFoundError(`Row ${row} does not exist (${this.rowCount} rows)`, {
      dataset: this.#dataset,
      file: this.#label,
    });
  }

  /** Throws DataFileError naming the shard when a top-level column is missing from any shard. */
  requireColumns(columns: readonly string[], field: string): void {
    for (const s of this.#shards) {
      for (const c of columns) {
        if (!s.columns.has(c))
          throw new DataFileError(`Parquet shard has no column "${c}"; columns are: ${[...s.columns].join(', ')}`, {
            dataset: this.#dataset,
            file: s.file.path,
            field,
          });
      }
    }
  }

  /** Rows of one row group with only `columns` (top-level names), decoded once and cached. */
  groupRows(shard: number, group: number, columns: readonly string[]): Promise<Row[]> {
    const key = `${shard}:${group}:${columns.join('\u0000')}`;
    const hit = this.#cache.get(key);
    if (hit) {
      this.#cache.delete(key);
      this.#cache.set(key, hit); // refresh LRU position
      return hit.rows;
    }
    const s = this.#shards[shard];
    const rows = parquetReadObjects({
      file: s.buffer,
      metadata: s.metadata,
      columns: [...columns],
      rowStart: s.starts[group] - s.starts[0],
      rowEnd: s.starts[group + 1] - s.starts[0],
      utf8: false,
      compressors,
    }).catch((err: unknown) => {
      this.#cache.delete(key);
      throw new DataFileError(`Cannot decode row group ${group}: ${(err as Error).message}`, {
        dataset: this.#dataset,
        file: s.file.path,
        field: columns.join(','),
        cause: err,
      });
    });
    const entry = { rows, bytes: 0 };
    this.#cache.set(key, entry);
    void rows.then(
      (r) => {
        entry.bytes = approxBytes(r);
        this.#cached += entry.bytes;
        this.#evict();
      },
      () => undefined,
    );
    return rows;
  }

  /** One row's columns. */
  async row(row: number, columns: readonly string[]): Promise<Row> {
    const a = this.locate(row);
    return (await this.groupRows(a.shard, a.group, columns))[a.offset];
  }

  /** Name of the shard file holding a row (for error messages). */
  fileOf(row: number): string {
    return this.#shards[this.locate(row).shard].file.path;
  }

  #evict(): void {
    for (const [k, v] of this.#cache) {
      if (this.#cached <= this.#cacheBytes || this.#cache.size <= 1) break;
      this.#cache.delete(k);
      this.#cached -= v.bytes;
    }
  }
}

function approxBytes(rows: Row[]): number {
  let n = 64 * rows.length;
  const add = (v: unknown, depth: number): void => {
    if (v instanceof Uint8Array) n += v.byteLength;
    else if (typeof v === 'string') n += v.length * 2;
    else if (v && typeof v === 'object' && depth < 4) for (const x of Object.values(v)) add(x, depth + 1);
  };
  for (const r of rows) add(r, 0);
  return n;
}
