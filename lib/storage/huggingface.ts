// Hugging Face datasets as parquet shards (hub cache or Hub over HTTP): virtual keys `{idx}.{ext}`, read-only media.
import os from 'node:os';
import path from 'node:path';
import { NotFoundError, PathEscapeError, ReadOnlyError } from '../errors.js';
import { logger } from '../log.js';
import { metrics } from '../metrics/events.js';
import { registerSecret } from '../redact.js';
import { extensionFilter, sliceRange } from './list-filter.js';
import { HttpShardSource, LocalShardSource, localSnapshot, selectSplit, type ShardSource } from './hf-source.js';
import { captionColumns, mediaBytes, rowCaptions, rowFilter, topColumn } from './hf-rows.js';
import { ParquetTable } from './hf-table.js';
import { LocalStorage } from './local.js';
import type { BackendDescription, ListOptions, ObjectInfo, StorageBackend } from './types.js';

export type HfDescription = Extract<BackendDescription, { kind: 'huggingface' }>;

const VIRTUAL = /^(0|[1-9]\d{0,14})\.([A-Za-z0-9]{1,8})$/;

/** Hub settings from the environment, resolved once by the builder so every worker uses the same. */
export function hubEnvironment(env: Record<string, string | undefined> = process.env): {
  endpoint: string;
  hubCache: string;
  token?: string;
} {
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  const token = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  registerSecret(token);
  return {
    endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    hubCache: env.HF_HUB_CACHE ?? path.join(home, 'hub'),
    ...(token ? { token } : {}),
  };
}

/** One split of a Hub dataset. Media keys are row numbers; every other key is a file in the local cache dir. */
export class HuggingfaceStorage implements StorageBackend {
  readonly kind = 'huggingface' as const;
  readonly writable = false;
  readonly id: string;
  readonly #d: HfDescription;
  readonly #cache: LocalStorage;
  #table: Promise<ParquetTable> | undefined;

  constructor(desc: HfDescription) {
    this.#d = { ...desc };
    this.id = desc.id;
    registerSecret(desc.token);
    this.#cache = new LocalStorage({ id: desc.id, root: desc.cacheDir });
  }

  /** Shard footers resolved once (lazily); later calls share them. */
  table(): Promise<ParquetTable> {
    this.#table ??= this.#open();
    return this.#table;
  }

  async *list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    if (!extensionFilter(options.extensions)(`x.${this.#d.extension}`)) return;
    const t = await this.table();
    const filter = rowFilter(this.#d);
    for (const g of t.groups()) {
      options.signal?.throwIfAborted();
      const rows = filter ? await t.groupRows(g.shard, g.group, filter.columns) : null;
      for (let i = 0; i < g.rows; i++)
        if (!rows || filter!.keep(rows[i])) yield { key: `${g.start + i}.${this.#d.extension}`, size: -1 };
    }
  }

  async read(key: string): Promise<Buffer> {
    const row = this.#row(key);
    if (row === null) return this.#cache.read(key);
    const t = await this.table();
    const cells = await t.row(row, [this.#d.mediaColumn]);
    return mediaBytes(cells[this.#d.mediaColumn], {
      dataset: this.id,
      file: t.fileOf(row),
      row,
      column: this.#d.mediaColumn,
    });
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    if (this.#row(key) === null) return this.#cache.readRange(key, start, end);
    return sliceRange(await this.read(key), start, end);
  }

  async stat(key: string): Promise<ObjectInfo> {
    if (this.#row(key) === null) return this.#cache.stat(key);
    return { key, size: (await this.read(key)).length };
  }

  async exists(key: string): Promise<boolean> {
    const row = this.#row(key);
    if (row === null) return this.#cache.exists(key);
    return row < (await this.table()).rowCount;
  }

  /** First caption of a row (caption columns, then the fallback), or null. */
  async caption(key: string): Promise<string | null> {
    return (await this.captions(key))[0] ?? null;
  }

  /** Alias of caption(): the name the caption strategies look for. */
  captionFor(key: string): Promise<string | null> {
    return this.caption(key);
  }

  /** Every caption of a row, in column order. */
  async captions(key: string): Promise<string[]> {
    const row = this.#requireRow(key);
    const cols = captionColumns(this.#d);
    if (!cols.length) return [];
    return rowCaptions(await (await this.table()).row(row, cols), this.#d);
  }

  /** Selected top-level columns of a row (e.g. width/height for metadata without decoding). */
  async fields(key: string, columns: readonly string[]): Promise<Record<string, unknown>> {
    return (await this.table()).row(this.#requireRow(key), columns.map(topColumn));
  }

  async write(key: string, data: Buffer | string): Promise<void> {
    if (this.#row(key) !== null)
      throw new ReadOnlyError('Hugging Face datasets are read-only except for cache files', {
        dataset: this.id,
        file: key,
      });
    await this.#cache.write(key, data);
  }

  async delete(key: string): Promise<void> {
    if (this.#row(key) !== null)
      throw new ReadOnlyError('Hugging Face datasets are read-only except for cache files', {
        dataset: this.id,
        file: key,
      });
    await this.#cache.delete(key);
  }

  externalPath(key: string): string {
    return this.#row(key) === null ? this.#cache.externalPath(key) : key;
  }

  keyFromExternal(p: string): string {
    return VIRTUAL.test(p) ? p : this.#cache.keyFromExternal(p);
  }

  describe(): BackendDescription {
    return { ...this.#d };
  }

  async close(): Promise<void> {}

  /** Row number of a virtual key, or null for cache-file keys. */
  #row(key: string): number | null {
    const m = VIRTUAL.exec(key);
    return m ? Number(m[1]) : null;
  }

  #requireRow(key: string): number {
    const row = this.#row(key);
    if (row === null)
      throw new PathEscapeError(`Not a dataset row key: ${JSON.stringify(key)} (expected {idx}.{ext})`, {
        dataset: this.id,
        file: key,
      });
    return row;
  }

  async #open(): Promise<ParquetTable> {
    const started = Date.now();
    const source = await this.#source();
    const all = await source.files();
    const files = selectSplit(all, this.#d.split);
    if (!files.length) {
      const shown =
        all
          .slice(0, 10)
          .map((f) => f.path)
          .join(', ') || 'none';
      throw new NotFoundError(
        `No parquet shards for split "${this.#d.split}" in ${source.label} (parquet files: ${shown})`,
        { dataset: this.id, field: 'split' },
      );
    }
    const table = await ParquetTable.open(source, files, this.id, this.#d.rowGroupCacheBytes ?? 256 * 1024 * 1024);
    table.requireColumns([topColumn(this.#d.mediaColumn)], 'image_column');
    table.requireColumns(captionColumns(this.#d), 'caption_column');
    const filter = rowFilter(this.#d);
    if (filter) table.requireColumns(filter.columns, 'filter_func');
    logger('storage/huggingface').info(
      { dataset: this.id, source: source.label, shards: files.length, rows: table.rowCount, ms: Date.now() - started },
      'hugging face shards resolved',
    );
    metrics.emit('hf.shards', {
      dataset: this.id,
      shards: files.length,
      rows: table.rowCount,
      ms: Date.now() - started,
    });
    return table;
  }

  async #source(): Promise<ShardSource> {
    const mode = this.#d.source ?? 'auto';
    if (mode !== 'http' && this.#d.hubCache) {
      const snap = await localSnapshot(this.#d.hubCache, this.#d.datasetName, this.#d.revision);
      if (snap) return new LocalShardSource(snap, this.id);
      if (mode === 'local')
        throw new NotFoundError(
          `Dataset ${this.#d.datasetName}@${this.#d.revision ?? 'main'} is not in the hub cache ${this.#d.hubCache}`,
          { dataset: this.id, field: 'dataset_name' },
        );
    }
    return new HttpShardSource({
      endpoint: this.#d.endpoint,
      datasetName: this.#d.datasetName,
      revision: this.#d.revision,
      dataset: this.id,
      log: logger('storage/huggingface'),
      ...(this.#d.token ? { token: this.#d.token } : {}),
      policy: {
        attempts: this.#d.maxAttempts ?? 5,
        baseDelayMs: this.#d.retryBaseDelayMs ?? 300,
        maxDelayMs: 10_000,
        attemptTimeoutMs: this.#d.attemptTimeoutMs ?? 120_000,
      },
    });
  }
}
